import AsyncHTTPClient
import Foundation
import HTTPTypes
import HeraldCore
import HeraldDelivery
import HeraldSQLite
import HeraldServer
import Hummingbird
import HummingbirdTesting
import Logging

/// A Herald on a fresh SQLite file in a temporary directory, with a known platform admin key.
struct TestHerald {
    static let adminKey = "hrld_test-platform-admin-key-0000000000000000000"

    let store: SQLiteStore
    let directory: URL
    var configuration = HeraldConfiguration(
        port: 0, timeouts: .init(connect: .seconds(2), total: .seconds(5)),
        dispatcher: DispatcherConfiguration(concurrency: 16, batchSize: 16, lease: 30, idlePoll: .milliseconds(100)))
    /// Whether a dispatcher delivers while the test runs.
    var delivering = true

    static var migrations: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("migrations/sqlite")
    }

    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-test-\(UUID().text)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteStore(path: directory.appendingPathComponent("herald.sqlite").path)
        try store.migrate(from: Self.migrations)
        _ = try await AdminBootstrap.ensureAdminKey(in: store, seed: Self.adminKey)
    }

    private init(reopening other: TestHerald) throws {
        directory = other.directory
        store = try SQLiteStore(path: directory.appendingPathComponent("herald.sqlite").path)
        configuration = other.configuration
        delivering = other.delivering
    }

    /// The same database opened anew, as a restarted process would.
    func reopen() throws -> TestHerald { try TestHerald(reopening: self) }

    /// Runs `body` against the application without a socket (and, unless `delivering` is off, a
    /// dispatcher delivering for real), then removes the database.
    func run<Value: Sendable>(keepDatabase: Bool = false, _ body: @Sendable (TestAPI) async throws -> Value)
        async throws -> Value
    {
        let client = HTTPSender.makeClient(timeouts: configuration.timeouts)
        let runtime = DeliveryRuntime(
            sender: HTTPSender(client: client, timeouts: configuration.timeouts), signal: WakeSignal())
        var logger = Logger(label: "herald-test")
        logger.logLevel = .warning
        let dispatcher = Dispatcher(
            queue: store, sender: runtime.sender, signal: runtime.signal, configuration: configuration.dispatcher,
            logger: logger)
        let delivering = self.delivering
        let worker = Task { if delivering { try? await dispatcher.run() } }
        defer { if !keepDatabase { try? FileManager.default.removeItem(at: directory) } }
        let app = Application(router: buildRouter(store: store, runtime: runtime, configuration: configuration))
        let result: Result<Value, any Error>
        do {
            result = .success(
                try await app.test(.router) { client in try await body(TestAPI(client: client, store: store)) })
        } catch {
            result = .failure(error)
        }
        runtime.signal.stop()
        await worker.value
        try await client.shutdown()
        return try result.get()
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
    let store: SQLiteStore
    let admin = TestHerald.adminKey

    func call(
        _ method: HTTPRequest.Method, _ uri: String, key: String?, body: JSONValue? = nil, raw: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> Reply {
        var headers = extra
        if let key { headers[HTTPField.Name("user-api-key")!] = key }
        headers[.contentType] = "application/json"
        let bytes = raw.map { ByteBuffer(string: $0) } ?? body.map { ByteBuffer(data: $0.encoded()) }
        let response = try await client.executeRequest(uri: uri, method: method, headers: headers, body: bytes)
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
