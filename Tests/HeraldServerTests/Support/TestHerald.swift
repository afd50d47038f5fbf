import AsyncHTTPClient
import Clocks
import Foundation
import GRDB
import HTTPTypes
import HeraldCore
import HeraldDelivery
import HeraldPostgres
import HeraldSQLite
import HeraldServer
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization

/// A Herald on a fresh database of `backend` (a SQLite file in a temporary directory, or a new
/// PostgreSQL database), with a known platform admin key, built by the same `buildApplication`
/// that `herald serve` runs.
struct TestHerald {
    static let adminKey = "hrld_test-platform-admin-key-0000000000000000000"

    let backend: Backend
    let store: any HeraldStore
    /// The SQLite file's directory, or the PostgreSQL database's URL.
    let location: String
    var configuration = HeraldConfiguration(
        port: 0, timeouts: .init(connect: .seconds(2), total: .seconds(5)),
        dispatcher: DispatcherConfiguration(concurrency: 16, batchSize: 16, lease: 30, idlePoll: .milliseconds(100)),
        targetPolicy: TargetPolicy(allowed: [CIDR("127.0.0.0/8")!]),
        rateLimits: RateLimits(
            perKey: .init(perSecond: 10_000, burst: 10_000), publisher: .init(perSecond: 10_000, burst: 10_000),
            perTenant: .init(perSecond: 100_000, burst: 100_000),
            failedAuthentications: .init(perSecond: 100_000, burst: 100_000)))
    /// Names tests may use: the build machines have no DNS.
    var resolver = StubResolver(["localhost": ["127.0.0.1"], "hooks.example.com": ["93.184.215.14"]])
    /// Where Herald's time comes from: the system's, unless a test moves time itself
    /// (``withTestClock()``).
    var clock = HeraldClock.system

    /// Makes Herald's time a test clock that starts now and moves only when the test advances it.
    mutating func withTestClock() -> TestClock<Duration> {
        let testClock = TestClock()
        // On a whole millisecond, as the stores keep times: a time read back equals the one written.
        clock = HeraldClock(testClock, startingAt: Timestamp.date(millis: Timestamp.millis(Date())))
        return testClock
    }
    /// Whether a dispatcher delivers while the test runs.
    var delivering = true
    /// Where the application and the dispatcher log (warnings only, unless a test captures more).
    var logger: Logger = {
        var logger = Logger(label: "herald-test")
        logger.logLevel = .warning
        return logger
    }()

    static var migrations: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("migrations/sqlite")
    }

    init(_ backend: Backend = .sqlite) async throws {
        self.backend = backend
        switch backend {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-test-\(UUID().text)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let store = try SQLiteStore(path: directory.appendingPathComponent("herald.sqlite").path)
            try store.migrate(from: Self.migrations)
            _ = try await AdminBootstrap.ensureAdminKey(in: store, seed: Self.adminKey)
            self.store = store
            location = directory.path
        case .postgres:
            let url = try await TestPostgres.shared.freshDatabase()
            let logger = self.logger
            try await TestPostgres.with(try PostgresStore.client(url: url, maxConnections: 1)) { client in
                let setup = PostgresStore(client: client, logger: logger)
                try await setup.migrate(from: TestPostgres.migrations)
                _ = try await AdminBootstrap.ensureAdminKey(in: setup, seed: Self.adminKey)
            }
            store = Self.postgresStore(url, logger: logger)
            location = url
        }
    }

    private init(reopening other: TestHerald) throws {
        backend = other.backend
        location = other.location
        switch backend {
        case .sqlite: store = try SQLiteStore(path: location + "/herald.sqlite")
        case .postgres: store = Self.postgresStore(location, logger: other.logger)
        }
        configuration = other.configuration
        delivering = other.delivering
        resolver = other.resolver
        clock = other.clock
    }

    /// A store whose client runs among the application's services (once: a client runs once).
    private static func postgresStore(_ url: String, logger: Logger) -> PostgresStore {
        PostgresStore(client: try! PostgresStore.client(url: url, maxConnections: 8), logger: logger)
    }

    /// Every row of every table, as text: equal snapshots mean nothing changed (SQLite).
    func snapshot() throws -> String {
        guard backend == .sqlite else { throw TestFailure("snapshots read the SQLite file") }
        let queue = try DatabaseQueue(path: location + "/herald.sqlite")
        return try queue.read { db in
            var text = ""
            for table in ["tenants", "api_keys", "properties", "webhooks", "events", "deliveries", "attempts"] {
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY rowid") {
                    // last_used_at moves with every authenticated request; it is not a change.
                    text += "\(table): \(row.filter { $0.0 != "last_used_at" }.map { "\($0.0)=\($0.1)" })\n"
                }
            }
            return text
        }
    }

    /// The same database opened anew, as a restarted process would.
    func reopen() throws -> TestHerald { try TestHerald(reopening: self) }

    /// Removes the SQLite file (a PostgreSQL database is dropped with the test cluster).
    func removeDatabase() {
        if backend == .sqlite { try? FileManager.default.removeItem(atPath: location) }
    }

    /// Runs `body` against the application that `buildApplication` makes (its services running:
    /// the store's companions and, unless `delivering` is off, a dispatcher delivering for real),
    /// then removes the database. `live` serves it on a loopback port (requests then come from a
    /// peer address); else requests go straight to the router.
    func run<Value: Sendable>(
        keepDatabase: Bool = false, resolver: (any HostResolver)? = nil, live: Bool = false,
        _ body: @Sendable (TestAPI) async throws -> Value
    ) async throws -> Value {
        var configuration = self.configuration
        configuration.runsDispatcher = delivering
        let app = buildApplication(
            store: store, configuration: configuration,
            dependencies: HeraldDependencies(clock: clock, resolver: resolver ?? self.resolver), logger: logger)
        defer { if !keepDatabase { removeDatabase() } }
        let store = self.store
        return try await app.test(live ? .live : .router) { client in
            try await body(TestAPI(client: client, store: store, snapshot: { try self.snapshot() }))
        }
    }
}

/// What a test sees of one HTTP exchange.
struct Reply: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var json: JSONValue

    /// `data.id` of a single-resource answer.
    var id: UUID? { json["data"]?["id"]?.stringValue.flatMap { UUID(uuidString: $0) } }
    var attributes: JSONValue? { json["data"]?["attributes"] }
    var errorCode: String? { json["errors"]?["code"]?.stringValue }
    var details: [String: JSONValue]? { json["errors"]?["details"]?.objectValue }
    var items: [JSONValue] { json["data"]?.arrayValue ?? [] }
}

/// One-line helpers over the HTTP API, so tests read like the feature's documentation.
struct TestAPI: Sendable {
    let client: any TestClientProtocol
    let store: any HeraldStore
    /// Every row of the database as text (see ``TestHerald/snapshot()``).
    let snapshot: @Sendable () throws -> String
    let admin = TestHerald.adminKey

    func call(
        _ method: HTTPRequest.Method, _ uri: String, key: String?, body: JSONValue? = nil, raw: String? = nil,
        bytes: [UInt8]? = nil, headers extra: HTTPFields = [:]
    ) async throws -> Reply {
        var headers = extra
        if let key { headers[HTTPField.Name("user-api-key")!] = key }
        headers[.contentType] = "application/json"
        let payload =
            bytes.map { ByteBuffer(bytes: $0) } ?? raw.map { ByteBuffer(string: $0) }
            ?? body.map { ByteBuffer(data: $0.encoded()) }
        let response = try await client.executeRequest(uri: uri, method: method, headers: headers, body: payload)
        let json =
            response.body.readableBytes == 0
            ? .null
            : (try? JSONValue.decode(Data(response.body.readableBytesView))) ?? .string(String(buffer: response.body))
        return Reply(status: response.status, headers: response.headers, json: json)
    }

    func tenant(_ name: String = "Acme", demoMode: Bool = false) async throws -> UUID {
        let reply = try await call(
            .post, "/api/v1/tenants", key: admin,
            body: ["tenant": ["name": .string(name), "demo_mode": .bool(demoMode)]])
        return try require(reply, .created)
    }

    func property(in tenant: UUID, _ title: String = "Hotel") async throws -> UUID {
        let reply = try await call(
            .post, "/api/v1/properties", key: admin,
            body: ["property": ["title": .string(title), "tenant_id": .string(tenant.text)]])
        return try require(reply, .created)
    }

    /// A new API key of `tenant` (nil: platform); returns the key itself.
    func key(_ role: Role, in tenant: UUID?, scope: [UUID]? = nil) async throws -> String {
        let reply = try await call(
            .post, "/api/v1/api_keys", key: admin,
            body: [
                "api_key": [
                    "role": .string(role.rawValue), "tenant_id": tenant.map { .string($0.text) } ?? .null,
                    "property_ids": scope.map { .array($0.map { .string($0.text) }) } ?? .null,
                ]
            ])
        _ = try require(reply, .created)
        guard let key = reply.attributes?["key"]?.stringValue else { throw TestFailure("no key in \(reply.json)") }
        return key
    }

    /// Creates a webhook with `key`; `fields` override a valid property webhook.
    func webhook(
        key: String, property: UUID?, url: String = "https://example.com/hook", mask: String = "*",
        _ fields: [String: JSONValue] = [:]
    ) async throws -> Reply {
        var body: [String: JSONValue] = [
            "callback_url": .string(url), "event_mask": .string(mask),
            "property_id": property.map { .string($0.text) } ?? .null,
        ]
        body.merge(fields) { _, new in new }
        return try await call(.post, "/api/v1/webhooks", key: key, body: ["webhook": .object(body)])
    }

    private func require(_ reply: Reply, _ status: HTTPResponse.Status) throws -> UUID {
        guard reply.status == status, let id = reply.id else {
            throw TestFailure("expected \(status), got \(reply.status): \(reply.json.encodedString())")
        }
        return id
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A resolver that knows a fixed set of names (tests run without DNS).
struct StubResolver: HostResolver {
    var names: [String: [String]]

    init(_ names: [String: [String]]) {
        self.names = names
    }

    func resolve(host: String) async throws -> [IPAddress] {
        guard let addresses = names[host.lowercased()] else { throw TestFailure("\(host) does not resolve") }
        return addresses.compactMap { IPAddress(host: $0) }
    }
}

/// A resolver whose answers change over time: the first `first` lookups get `before`, later ones
/// `after` (DNS rebinding).
final class RebindingResolver: HostResolver {
    let before: [String]
    let after: [String]
    let first: Int
    private let count = Mutex(0)

    init(before: [String], after: [String], first: Int) {
        self.before = before
        self.after = after
        self.first = first
    }

    func resolve(host: String) async throws -> [IPAddress] {
        let n = count.withLock { count -> Int in
            count += 1
            return count
        }
        return (n <= first ? before : after).compactMap { IPAddress(host: $0) }
    }
}

/// Keeps every log line, to check what never reaches the logs.
final class CapturedLogs: Sendable {
    private let lines = Mutex<[String]>([])

    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    func logger() -> Logger {
        var logger = Logger(label: "captured") { _ in Handler(logs: self) }
        logger.logLevel = .trace
        return logger
    }

    fileprivate func append(_ line: String) { lines.withLock { $0.append(line) } }

    struct Handler: LogHandler {
        let logs: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
            logs.append("\(event.level) \(event.message) \(all)")
        }
    }
}
