/// Every setting `herald` reads, declared once. `herald serve --help`, `herald migrate --help` and
/// the README's settings table are generated from this list (a test holds the README to it).
public enum HeraldSettings {
    // The store.
    public static let database = Setting(
        // HERALD_DATABASE_URL, the older spelling, wins over HERALD_DATABASE as it always did.
        ["databaseUrl", "database"], shown: "database", .text, default: "herald.sqlite",
        help: "SQLite file path or sqlite:// URL, or postgres://user:pass@host:port/db.")
    public static let migrations = Setting(
        ["migrations"], .text, default: nil,
        help: "Directory holding sqlite/ and postgres/ migrations (default: ./migrations, then the source tree's).")
    public static let logLevel = Setting(
        ["logLevel"], .choice(["trace", "debug", "info", "notice", "warning", "error", "critical"]), default: "info",
        help: "Least severe log level written.")
    public static let logFormat = Setting(
        ["logFormat"], .choice(["text", "json"]), default: "text",
        help: "Log lines as text, or as one JSON object a line (time, level, message, request and delivery ids).")
    public static let sqliteSynchronous = Setting(
        ["sqliteSynchronous"], .choice(["full", "normal"]), default: "full",
        help: "full: every commit is on disk before Herald answers, so a 202 survives a power cut. "
            + "normal: faster, survives a crash of Herald but a power cut may lose the last events answered 202.")
    public static let encryptionKey = Setting(
        ["encryptionKey"], .text, default: nil,
        help: "32 random bytes in base64 (e.g. `openssl rand -base64 32`). Webhooks' signing secrets, headers, "
            + "request params and callback URLs are sealed with it (AES-256-GCM) in the database; without it they are "
            + "stored in clear and Herald warns at start.",
        isSecret: true)
    public static let previousEncryptionKeys = Setting(
        ["previousEncryptionKeys"], .text, default: nil,
        help: "Former HERALD_ENCRYPTION_KEY values, comma-separated: they open what they sealed (never seal) until "
            + "`herald secrets rotate-key` has re-sealed every webhook with the current key.",
        isSecret: true)
    public static let config = Setting(
        ["config"], .text, default: nil,
        help: "A JSON file of settings by key (e.g. {\"port\": 8080}); flags and variables take precedence.")

    // The server.
    public static let host = Setting(["host"], .text, default: "127.0.0.1", help: "Address to listen on.")
    public static let port = Setting(["port"], .int(0...65535), default: "8080", help: "Port to listen on.")
    public static let role = Setting(
        ["role"], .choice(["api", "worker", "all"]), default: "all",
        help: "api serves the API only, worker delivers only, all does both.")
    public static let maxBodyBytes = Setting(
        ["maxBodyBytes"], .int(1024...(64 << 20)), default: "65536", help: "Largest request body in bytes.")
    public static let maxEventBytes = Setting(
        ["maxEventBytes"], .int(1024...(256 << 20)), default: "1048576", help: "Largest event body in bytes.")
    public static let rateLimit = Setting(
        ["rateLimit"], .double(0.01...1_000_000), default: "20",
        help: "Requests per second per API key (bursts of 5 times as many).")
    public static let publisherRateLimit = Setting(
        ["publisherRateLimit"], .double(0.01...1_000_000), default: "500",
        help: "Requests per second per publisher key (bursts of 4 times as many).")
    public static let tenantRateLimit = Setting(
        ["tenantRateLimit"], .double(0.01...1_000_000), default: "2000",
        help: "Requests per second per tenant, across all its keys (bursts of 4 times as many).")
    public static let failedAuthRateLimit = Setting(
        ["failedAuthRateLimit"], .double(0.01...1_000_000), default: "5",
        help:
            "Unknown or revoked keys per second per client address (bursts of 10 times as many); past it the address gets 429 before keys are looked up."
    )
    public static let headerTimeout = Setting(
        ["headerTimeout"], .int(1...3600), default: "30",
        help:
            "Seconds a client may take to send a request's headers, from connecting or from its previous response; idle or trickling connections are closed then."
    )
    public static let adminPort = Setting(
        ["adminPort"], .int(1...65535), default: nil,
        help: "Serve /ready and /metrics on this port (on --admin-host) instead of the API's.")
    public static let adminHost = Setting(
        ["adminHost"], .text, default: "127.0.0.1", help: "Interface the admin port listens on.")
    public static let trustedProxies = Setting(
        ["trustedProxies"], .text, default: nil,
        help:
            "Addresses or CIDR ranges of reverse proxies (comma-separated) whose X-Forwarded-For names the client, for per-client limits."
    )
    public static let webhookQuota = Setting(
        ["webhookQuota"], .int(1...10_000_000), default: "10000",
        help: "The most webhooks a tenant may have, both dialects together.")
    public static let publicURL = Setting(
        ["publicUrl"], .text, default: nil,
        help: "The address partners reach Herald at, e.g. https://hooks.example.com: portal links start with it, "
            + "and with https the portal's cookies are Secure (default: http://host:port).")
    public static let portalIdleMinutes = Setting(
        ["portalIdleMinutes"], .int(1...1440), default: "30",
        help: "Minutes a portal session lasts without a request (at most 12 hours from sign-in in any case).")
    public static let adminKey = Setting(
        ["adminKey"], .text, default: nil,
        help:
            "Platform admin key to seed an empty database with: 32+ printable characters, 10+ distinct (else one is generated and shown once on a terminal).",
        isSecret: true)

    // Delivery.
    public static let deliveryConcurrency = Setting(
        ["deliveryConcurrency", "concurrency"], .int(1...10_000), default: "64", help: "Deliveries sent at once.")
    public static let connectTimeout = Setting(
        ["connectTimeout"], .int(1...300), default: "5", help: "Seconds a callback may take to accept the connection.")
    public static let requestTimeout = Setting(
        ["requestTimeout"], .int(1...600), default: "15", help: "Seconds a delivery may take in all.")
    public static let leaseSeconds = Setting(
        ["leaseSeconds"], .double(1...86400), default: "60",
        help: "Seconds a claimed delivery stays leased to this process; longer than the request timeout.")
    public static let disableAfterHours = Setting(
        ["disableAfterHours"], .double(0.001...100_000), default: "72",
        help: "Hours a webhook may fail without a success before it is disabled.")
    public static let secretGraceHours = Setting(
        ["secretGraceHours"], .double(0...10_000), default: "24", help: "Hours a rotated-out secret keeps signing.")
    public static let retentionDays = Setting(
        ["retentionDays"], .double(0...36_500), default: "30",
        help: "Days events, deliveries and attempts are kept (purged once settled); 0 keeps them forever.")
    public static let allowTargets = Setting(
        ["allowTargets"], .text, default: nil,
        help: "Address ranges callbacks may reach despite the target policy, e.g. 127.0.0.0/8,::1.")
    public static let metricsPerTenant = Setting(
        ["metricsPerTenant"], .choice(["on", "off"]), default: "off",
        help: "on: /metrics names the ten tenants with the most due deliveries and open circuits. /metrics needs "
            + "no key, so turn it on only where /metrics is not public.")
    public static let otlpEndpoint = Setting(
        ["otlpEndpoint"], .text, default: nil,
        help: "OTLP/HTTP collector to send traces to, e.g. http://127.0.0.1:4318; without it (or "
            + "OTEL_EXPORTER_OTLP_ENDPOINT) tracing is off. Other OTEL_* variables (sampler, batch delay) apply.")

    /// What every command that opens the database reads.
    public static let store: [Setting] = [
        database, migrations, sqliteSynchronous, logLevel, logFormat, encryptionKey, previousEncryptionKeys, config,
    ]

    /// What `herald serve` reads.
    public static let serve: [Setting] =
        store + [
            host, port, role, maxBodyBytes, maxEventBytes, rateLimit, publisherRateLimit, tenantRateLimit,
            failedAuthRateLimit, trustedProxies, webhookQuota, headerTimeout, adminPort, adminHost, publicURL,
            portalIdleMinutes, adminKey,
            deliveryConcurrency, connectTimeout, requestTimeout, leaseSeconds, disableAfterHours, secretGraceHours,
            retentionDays, allowTargets, metricsPerTenant, otlpEndpoint,
        ]

    /// The help a command prints after its usage: one entry per setting.
    public static func help(_ settings: [Setting]) -> String {
        settings.map { setting in
            let name = setting.isSecret ? setting.variable : "\(setting.flag) <\(setting.valueText)>"
            var line =
                "\(name)\n  \(setting.help) (\(setting.isSecret ? "environment only" : "env \(setting.variable)")"
            if let value = setting.defaultText { line += "; default \(value)" }
            return line + ")"
        }.joined(separator: "\n")
    }

    /// The README's table of settings.
    public static func markdownTable(_ settings: [Setting] = serve) -> String {
        var lines = [
            "| flag | variable | config file key | values | default | meaning |", "|---|---|---|---|---|---|",
        ]
        for setting in settings {
            let values = setting.valueText.replacingOccurrences(of: "|", with: "\\|")
            lines.append(
                "| \(setting.isSecret ? "" : "`\(setting.flag)`") | `\(setting.variable)` | `\(setting.key)` | \(values) | \(setting.defaultText.map { "`\($0)`" } ?? "") | \(setting.help) |"
            )
        }
        return lines.joined(separator: "\n")
    }
}
