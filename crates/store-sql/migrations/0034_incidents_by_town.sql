-- A report that matches an emergency rule joins the open incident of its
-- rule, partner and town (`EmergencyStore::open_incident`). Alerts did not
-- hold the town, so finding that incident read every alert of the rule
-- and partner in the window, in every town and none, and joined each to
-- its order: 9 ms for a partner with 1,555 such alerts, paid by every
-- report a node had not seen the incident of (issue 22). The town of an
-- alert's order is now kept with the alert (filled in here for the
-- emergency alerts, the only ones read by it), and indexed.
-- A node of the previous version still serving writes alerts without it;
-- a report in its town meanwhile opens a second incident, not a wrong one.
ALTER TABLE alerts ADD COLUMN town_id BIGINT;
UPDATE alerts SET town_id = (SELECT o.town_id FROM work_orders o WHERE o.id = alerts.order_id) WHERE watched = 'emergency';
CREATE INDEX alerts_incident ON alerts (unit_id, subject, town_id, raised_at) WHERE watched = 'emergency';
