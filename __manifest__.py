{
    'name': 'Ameyo Contact Center',
    'version': '19.0.1.8.0',
    'category': 'Sales/CRM',
    'sequence': 120,
    'summary': 'Screen-pop, disposition, click-to-dial and recordings for Ameyo agents',
    'author': 'crm_ameyo developers',
    'website': 'https://github.com/crm-ameyo/crm_ameyo',
    'license': 'LGPL-3',
    'depends': ['crm', 'phone_validation'],
    # phone_validation formats numbers with it (without it, numbers stay as typed and Odoo warns at
    # start)
    'external_dependencies': {'python': ['phonenumbers']},
    'data': [
        # groups first: the access CSV and the record rules reference them
        'security/crm_ameyo_security.xml',
        'security/ir.model.access.csv',
        'security/ameyo_campaign_report_security.xml',
        'data/ameyo_cron.xml',
        'views/ameyo_campaign_views.xml',
        'views/ameyo_server_views.xml',
        'views/ameyo_queue_views.xml',
        'views/ameyo_disposition_views.xml',
        'views/ameyo_call_views.xml',
        'views/res_users_views.xml',
        'views/res_config_settings_views.xml',
        'views/ameyo_pop_views.xml',
        'views/ameyo_pages_templates.xml',
        'views/ameyo_dispose_wizard_views.xml',
        'views/ameyo_attention_views.xml',
        'views/res_partner_views.xml',
        'report/ameyo_shared_number_views.xml',
        # menus last: they reference the actions above
        'views/crm_ameyo_menus.xml',
        'views/ameyo_call_recording_views.xml',
        # the call analysis has its menu (Reporting) under the app's root menu
        'report/ameyo_call_report_views.xml',
        # under the Reporting menu of the file above, and the CRM's
        'report/ameyo_campaign_report_views.xml',
    ],
    'assets': {
        'web.assets_backend': [
            'crm_ameyo/static/src/**/*',
            ('remove', 'crm_ameyo/static/src/public/**/*'),
        ],
        # the agent's workspace page (knowledge-base URL)
        'web.assets_frontend': [
            'crm_ameyo/static/src/public/**/*',
        ],
        'web.assets_tests': [
            'crm_ameyo/static/tests/tours/**/*',
        ],
        # the JavaScript unit tests (hoot), run by tests/test_js_units.py
        'web.assets_unit_tests': [
            'crm_ameyo/static/tests/**/*',
            ('remove', 'crm_ameyo/static/tests/tours/**/*'),
        ],
    },
    'demo': [
        'data/crm_ameyo_demo.xml',
    ],
    'application': True,
}
