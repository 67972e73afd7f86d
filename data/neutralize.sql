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
