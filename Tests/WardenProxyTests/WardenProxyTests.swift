// Tests of WardenProxy.
