// Tests of WardenNetwork.
