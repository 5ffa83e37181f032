// The WardenSandbox module: see Package.swift for what it holds.
