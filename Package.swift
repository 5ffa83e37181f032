// swift-tools-version: 6.1
import PackageDescription

// Foundation-free modules: everything `warden-hook` links. Keep them that way, the hook's
// start-up time is its latency (see README, "Performance").
let hotPathSettings: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "warden",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "warden", targets: ["warden"]),
        .executable(name: "warden-hook", targets: ["warden-hook"]),
        .executable(name: "warden-bench", targets: ["warden-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        // OTLP/HTTP export (`warden log export`): linked into the `warden` CLI only, never the hook.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.100.0"),
        // Already async-http-client's; named for the collector's CA and a client certificate.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.36.0"),
        // NIOSOCKS (the SOCKS5 server handshake) and the proxies' glue.
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.0"),
    ],
    targets: [
        // JSON reader with source positions and a writer; no Foundation.
        .target(name: "WardenJSON", swiftSettings: hotPathSettings),
        // Shell lexer, parser and static analysis into the simple commands a script runs.
        .target(name: "WardenShell", swiftSettings: hotPathSettings),
        // Managed-settings model, rule syntax and matching, the permission decision.
        .target(name: "WardenPolicy", dependencies: ["WardenJSON", "WardenShell", "WardenDetect", "WardenAudit", "WardenNetwork"], swiftSettings: hotPathSettings),
        // Hook events in, Claude Code answers out: the logic behind `warden-hook`, without I/O.
        .target(name: "WardenHooks", dependencies: ["WardenJSON", "WardenPolicy", "WardenDetect", "WardenRedact"], swiftSettings: hotPathSettings),
        // SHA-256 without Foundation, for the hook's checksums and hash chain (see its header).
        .target(name: "WardenDigest", swiftSettings: hotPathSettings),
        // Secret and personal-data detectors (hand-written: no maintained Swift scanner exists).
        .target(name: "WardenDetect", dependencies: ["WardenDigest"], swiftSettings: hotPathSettings),
        // The decision log: append-only, hash-chained JSON Lines; queries and report aggregation.
        .target(name: "WardenAudit", dependencies: ["WardenJSON", "WardenDigest"], swiftSettings: hotPathSettings),
        // Fleet export of the decision log: records as OTLP/HTTP JSON, the export cursor, retry
        // timing. No network I/O here (the `warden` CLI sends), so all of it is unit-tested.
        .target(name: "WardenExport", dependencies: ["WardenAudit", "WardenJSON"], swiftSettings: hotPathSettings),
        // Replaces what the detectors find: placeholders, pseudonyms, JSON of the same shape, streams.
        .target(name: "WardenRedact", dependencies: ["WardenDetect", "WardenJSON"], swiftSettings: hotPathSettings),
        // Detection in files and commits: positions, masked previews, fingerprints, staged diffs.
        .target(name: "WardenScan", dependencies: ["WardenDetect", "WardenDigest"], swiftSettings: hotPathSettings),
        // The operating system through libc only: files, the environment, realpath and glob.
        .target(name: "WardenSystem", dependencies: ["WardenPolicy"], swiftSettings: hotPathSettings),
        // Egress policy without I/O: host canonicalisation, allow/deny entries, address classes,
        // the `sandbox.network` settings, request-head checks. Used by the proxies and the sandbox.
        .target(name: "WardenNetwork", dependencies: ["WardenJSON"], swiftSettings: hotPathSettings),
        // The HTTP and SOCKS5 egress proxies on SwiftNIO (`warden proxy`, and `warden run`'s network).
        .target(
            name: "WardenProxy",
            dependencies: [
                "WardenNetwork",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSOCKS", package: "swift-nio-extras"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
            ]
        ),
        // `warden demo`: a Messages API stand-in on loopback that serves a scripted session to the
        // real Claude Code CLI and records what it received, and the demo's scenario as data.
        .target(
            name: "WardenDemo",
            dependencies: [
                "WardenJSON",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Debian's libseccomp (libseccomp-dev) as a system library.
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        // `warden install`/`uninstall` without I/O: merging a profile and Warden's registration into
        // the managed settings and taking exactly that back; the install record.
        .target(name: "WardenInstall", dependencies: ["WardenJSON"], swiftSettings: hotPathSettings),
        // The sandbox as data: (policy, home, project, environment, kernel features) -> the plan
        // (bwrap arguments, mounts and why, seccomp and Landlock rules, environment, limits). Pure.
        .target(name: "WardenSandbox", dependencies: ["WardenPolicy", "WardenNetwork", "WardenJSON"], swiftSettings: hotPathSettings),
        // Carries a plan out: bwrap outside; inside, the forwarders, rlimits, Landlock and seccomp.
        .target(name: "WardenLaunch", dependencies: ["WardenSandbox", "CSeccomp", "WardenJSON", "WardenSystem"], swiftSettings: hotPathSettings),
        // The channel between the hooks inside the sandbox and `warden run` on the host: the
        // protocol and its checks (pure), the host's server, the hook's client, the pseudonym books.
        .target(name: "WardenChannel", dependencies: ["WardenAudit", "WardenJSON", "WardenDigest", "WardenRedact", "WardenSystem"], swiftSettings: hotPathSettings),

        .executableTarget(
            name: "warden-hook",
            dependencies: ["WardenHooks", "WardenSystem", "WardenAudit", "WardenDigest", "WardenDetect", "WardenRedact", "WardenJSON", "WardenPolicy", "WardenChannel"],
            // Release builds link the Swift runtime statically (`swift build -c release
            // --static-swift-stdlib`, as Scripts/build-release.sh does): a linker flag here would
            // also reach the test bundles that link this target, and break them.
            swiftSettings: hotPathSettings
        ),
        .executableTarget(
            name: "warden",
            dependencies: [
                "WardenHooks", "WardenPolicy", "WardenShell", "WardenJSON", "WardenSystem",
                "WardenDetect", "WardenRedact", "WardenScan", "WardenAudit", "WardenExport",
                "WardenNetwork", "WardenProxy", "WardenSandbox", "WardenLaunch", "WardenInstall", "WardenDemo", "WardenChannel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .executableTarget(
            name: "warden-bench",
            dependencies: [
                "WardenShell", "WardenPolicy", "WardenDetect", "WardenRedact", "WardenJSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // nio-floor: a bare SwiftNIO relay, the proxy benchmark's reference row.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),

        // The first process inside the sandbox: starts the proxy forwarders, applies the limits,
        // Landlock and seccomp, then execs the agent. No Foundation.
        .executableTarget(name: "warden-sandbox-init", dependencies: ["WardenLaunch", "WardenSandbox", "WardenSystem"], swiftSettings: hotPathSettings),

        // Appends N records: started 16 times at once by WardenAuditTests' concurrency test.
        .executableTarget(name: "audit-append", dependencies: ["WardenAudit"], swiftSettings: hotPathSettings),

        .testTarget(name: "WardenJSONTests", dependencies: ["WardenJSON"]),
        .testTarget(
            name: "WardenDigestTests",
            dependencies: ["WardenDigest", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "WardenAuditTests", dependencies: ["WardenAudit", "WardenExport", "WardenJSON", "audit-append", "warden"]),
        .testTarget(name: "WardenShellTests", dependencies: ["WardenShell"]),
        .testTarget(name: "WardenInstallTests", dependencies: ["WardenInstall", "WardenJSON", "WardenPolicy"]),
        .testTarget(name: "WardenNetworkTests", dependencies: ["WardenNetwork", "WardenJSON"]),
        .testTarget(
            name: "WardenProxyTests",
            dependencies: [
                "WardenProxy", "WardenNetwork",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        .testTarget(name: "WardenSandboxTests", dependencies: ["WardenSandbox", "WardenPolicy", "WardenJSON"]),
        // Runs the real bwrap, seccomp and Landlock: as root and as an unprivileged user it creates.
        .testTarget(
            name: "WardenLaunchTests",
            dependencies: [
                "WardenLaunch", "WardenSandbox", "warden-sandbox-init", "warden", "warden-hook",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        .testTarget(name: "WardenChannelTests", dependencies: ["WardenChannel", "WardenDetect", "WardenAudit", "WardenJSON", "WardenDigest", "WardenSandbox"]),
        .testTarget(name: "WardenPolicyTests", dependencies: ["WardenPolicy", "WardenShell", "WardenJSON"]),
        .testTarget(name: "WardenDetectTests", dependencies: ["WardenDetect"]),
        .testTarget(name: "WardenScanTests", dependencies: ["WardenScan", "WardenDetect"]),
        .testTarget(name: "WardenRedactTests", dependencies: ["WardenRedact", "WardenDetect", "WardenJSON"]),
        .testTarget(name: "WardenHooksTests", dependencies: ["WardenHooks", "WardenPolicy", "WardenJSON", "WardenDetect", "WardenRedact"]),
        // Runs the built `warden` and `warden-hook` executables as processes.
        .testTarget(
            name: "WardenCLITests",
            dependencies: [
                "warden", "warden-hook", "WardenJSON",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        .testTarget(
            name: "WardenDemoTests",
            dependencies: [
                "WardenDemo", "WardenJSON",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // The real Claude Code CLI against a scripted Messages API server.
        .testTarget(
            name: "WardenEndToEndTests",
            dependencies: [
                "warden-hook", "warden", "warden-sandbox-init", "WardenJSON", "WardenDemo",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
