// The WardenProxy module: see Package.swift for what it holds.
