// The WardenNetwork module: see Package.swift for what it holds.
