-- a neutralized copy must never reach the production Ameyo tenant nor hold its credentials
UPDATE ameyo_server
   SET active = false,
       hash_key = NULL,
       dispose_token = NULL,
       admin_user_id = NULL,
       admin_password = NULL,
       url_token = NULL;
DELETE FROM ameyo_agent_session;
-- SSO sessions and failed-login counters of the production database
DELETE FROM ameyo_sso_token;
DELETE FROM ameyo_sso_throttle;
-- recordings: a neutralized copy fetches none (its servers are archived above; the cron stops too)
UPDATE ir_cron
   SET active = false
  FROM ir_model_data
 WHERE ir_model_data.model = 'ir.cron'
   AND ir_model_data.res_id = ir_cron.id
   AND ir_model_data.module = 'crm_ameyo'
   AND ir_model_data.name = 'ir_cron_ameyo_fetch_recordings';
