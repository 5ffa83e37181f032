// Tests of WardenLaunch.
