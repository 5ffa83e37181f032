// Tests of WardenSandbox.
