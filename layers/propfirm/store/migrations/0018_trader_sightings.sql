-- Where each trader signs in from: the address and the device (a digest of the browser's User-Agent) of
-- their requests to the dashboards' API, kept once per address and device with when it was first and
-- last seen. The abuse scan groups a finding's traders by what they share: two traders on one address or
-- one device may be one person.
CREATE TABLE trader_sightings (
    trader_id bigint NOT NULL REFERENCES traders (id),
    address inet NOT NULL,
    device text NOT NULL,          -- 16 hex digits of the User-Agent's SHA-256 ('' when none was sent)
    device_label text NOT NULL,    -- the User-Agent, cut to 200 characters, for a person to read
    first_seen timestamptz NOT NULL,
    last_seen timestamptz NOT NULL,
    PRIMARY KEY (trader_id, address, device)
);
CREATE INDEX trader_sightings_address ON trader_sightings (address);
CREATE INDEX trader_sightings_device ON trader_sightings (device) WHERE device <> '';
