-- The trace that took an event in (W3C traceparent), continued by its deliveries.
ALTER TABLE events ADD COLUMN trace_parent TEXT;
