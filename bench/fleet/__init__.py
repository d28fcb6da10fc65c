"""The fleet behind HAProxy under load and faults: `bench/fleet` and tests/fleet."""
