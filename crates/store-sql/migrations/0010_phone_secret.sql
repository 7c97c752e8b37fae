-- The digest secret of a consultant's SIP phone: HA1 = MD5(username:realm:
-- password), what a registrar needs to check a REGISTER without keeping the
-- password itself (as Kamailio's `ha1` column). NULL: no phone may register.
ALTER TABLE users ADD COLUMN phone_ha1 TEXT;
