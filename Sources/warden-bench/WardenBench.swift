import ArgumentParser

@main
struct WardenBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warden-bench",
        abstract: "Benchmarks for Warden: run them with `swift run -c release warden-bench …`.",
        subcommands: [HookLatencyBenchmark.self, ShellCorpusBenchmark.self, SecretsCorpusBenchmark.self, PIICorpusBenchmark.self, RedactionThroughputBenchmark.self, FindingsDump.self, FidelityBenchmark.self, NIOFloorProxy.self]
    )
}
