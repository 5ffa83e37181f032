// The WardenLaunch module: see Package.swift for what it holds.
