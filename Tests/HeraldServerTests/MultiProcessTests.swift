import AsyncHTTPClient
import Foundation
import HeraldCore
import NIOCore
import Testing

/// A `herald serve` process of the built binary.
final class HeraldProcess: Sendable {
    let process: ChildProcess
    let port: Int
    let log: URL

    static var binary: URL {
        get throws {
            let candidates = [
                URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
                    "herald"),
                TestPostgres.tools.deletingLastPathComponent().appendingPathComponent(".build/debug/herald"),
            ]
            guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
                throw TestFailure("the herald executable is not built (swift build)")
            }
            return found
        }
    }

    /// `adminKey` nil: the process gets no `HERALD_ADMIN_KEY`.
    init(database: String, adminKey: String? = TestHerald.adminKey, environment extra: [String: String] = [:]) throws {
        port = try Self.freePort()
        log = FileManager.default.temporaryDirectory.appendingPathComponent("herald-\(port).log")
        var environment = ProcessInfo.processInfo.environment
        environment.merge([
            "HERALD_DATABASE_URL": database, "HERALD_ADMIN_KEY": TestHerald.adminKey,
            "HERALD_MIGRATIONS": TestPostgres.migrations.deletingLastPathComponent().path,
            "HERALD_ALLOW_TARGETS": "127.0.0.1/32", "HERALD_LOG_LEVEL": "warning", "HERALD_RATE_LIMIT": "100000",
            "HERALD_PUBLISHER_RATE_LIMIT": "100000", "HERALD_TENANT_RATE_LIMIT": "100000",
            "HERALD_REQUEST_TIMEOUT": "5", "HERALD_LEASE_SECONDS": "8",
        ]) { _, new in new }
        environment.merge(extra) { _, new in new }
        environment["HERALD_ADMIN_KEY"] = adminKey
        let file = open(log.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard file >= 0 else { throw TestFailure("cannot write \(log.path)") }
        defer { close(file) }
        process = try ChildProcess(
            try Self.binary.path, ["serve", "--port", String(port)], environment: environment, output: file,
            errors: file)
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// Polls `/ready` (at `readyURL`, when it is served elsewhere) until it answers 200.
    func waitUntilReady(at readyURL: String? = nil) async throws {
        for _ in 0..<200 {
            let request = HTTPClientRequest(url: readyURL ?? url + "/ready")
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)),
                response.status == .ok
            {
                return
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("herald on \(port) did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    }

    func kill9() {
        process.send(SIGKILL)
        process.waitUntilExit()
    }

    /// Ends the process at once (graceful shutdown would wait for the test's idle connections).
    func stop() {
        process.send(SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: log)
    }

    static func freePort() throws -> Int {
        Int(
            try TestPostgres.run([
                "python3", "-c",
                "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])",
            ]))!
    }

    /// A JSON request to this process.
    func call(
        _ method: String, _ path: String, key: String, body: JSONValue? = nil, headers: [String: String] = [:]
    ) async throws -> JSONValue {
        var request = HTTPClientRequest(url: url + path)
        request.method = .init(rawValue: method)
        request.headers.add(name: "user-api-key", value: key)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body.encoded())) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return try JSONValue.decode(Data(bytes.readableBytesView))
    }

    /// A tenant with a property, a tenant admin key and an active `*` webhook to `callbackURL`.
    func tenantWithWebhook(to callbackURL: String) async throws -> (key: String, property: String) {
        let admin = TestHerald.adminKey
        let tenant = try #require(
            try await call("POST", "/api/v1/tenants", key: admin, body: ["tenant": ["name": "Acme"]])["data"]?["id"]?
                .stringValue)
        let property = try #require(
            try await call(
                "POST", "/api/v1/properties", key: admin,
                body: ["property": ["title": "Hotel", "tenant_id": .string(tenant)]])["data"]?["id"]?.stringValue)
        let key = try #require(
            try await call(
                "POST", "/api/v1/api_keys", key: admin,
                body: ["api_key": ["role": "admin", "tenant_id": .string(tenant)]])["data"]?["attributes"]?["key"]?
                .stringValue)
        _ = try await call(
            "POST", "/api/v1/webhooks", key: key,
            body: [
                "webhook": [
                    "property_id": .string(property), "callback_url": .string(callbackURL), "event_mask": "*",
                    "is_active": true,
                ]
            ])
        return (key, property)
    }
}

@Suite struct MultiProcessTests {
    @Test func severalProcessesOnOnePostgresDeliverEachEventExactlyOnceAndSurviveAKill() async throws {
        let database = try await TestPostgres.shared.freshDatabase()
        // After the first 2,000, answers slow down so that the kill lands mid-run.
        let receiver = try await TestReceiver.start { number, _ in
            number > 1000 ? .init(delay: .milliseconds(100)) : .init()
        }
        let first = try HeraldProcess(database: database)
        var processes = [first]
        defer { processes.forEach { $0.stop() } }
        try await first.waitUntilReady()
        for _ in 0..<2 { processes.append(try HeraldProcess(database: database)) }
        for process in processes { try await process.waitUntilReady() }

        let admin = TestHerald.adminKey
        let tenant = try #require(
            try await first.call("POST", "/api/v1/tenants", key: admin, body: ["tenant": ["name": "Multi"]])["data"]?[
                "id"]?
                .stringValue)
        let property = try #require(
            try await first.call(
                "POST", "/api/v1/properties", key: admin,
                body: ["property": ["title": "P", "tenant_id": .string(tenant)]])[
                    "data"]?["id"]?.stringValue)
        let publisher = try #require(
            try await first.call(
                "POST", "/api/v1/api_keys", key: admin,
                body: ["api_key": ["role": "publisher", "tenant_id": .string(tenant)]])[
                    "data"]?["attributes"]?["key"]?.stringValue)
        let hook = try #require(
            try await first.call(
                "POST", "/api/v1/webhooks", key: admin,
                body: [
                    "webhook": [
                        "property_id": .string(property), "callback_url": .string(receiver.url + "/multi"),
                        "event_mask": "*",
                        "is_active": true, "send_data": true,
                        // A receiver built for volume: every process may send to it at once.
                        "max_in_flight": 64,
                    ]
                ])["data"]?["id"]?.stringValue)

        func publish(_ count: Int, batch: Int = 100) async throws -> Int {
            var made = 0
            for index in 0..<(count / batch) {
                let events: [JSONValue] = (0..<batch).map { n in
                    [
                        "name": "booking_new", "property_id": .string(property),
                        "payload": ["n": .int(Int64(index * batch + n))],
                    ]
                }
                let target = processes[index % processes.count]
                let reply = try await target.call(
                    "POST", "/api/v1/events/batch", key: publisher, body: ["events": .array(events)])
                made +=
                    reply["data"]?.arrayValue?.compactMap { $0["attributes"]?["deliveries"] }.reduce(0) {
                        total, value in
                        if case .int(let n) = value { return total + Int(n) } else { return total }
                    } ?? 0
            }
            return made
        }

        // Every process alive: each delivery exactly once.
        let phaseOne = try await publish(1000)
        #expect(phaseOne == 1000)
        try await receiver.waitFor(1000, timeout: .seconds(60))
        // Once every delivery has settled, each after exactly one attempt, none can be sent again.
        let settled = try await waitForSettledDeliveries(1000, hook: hook, via: first)
        #expect(settled.allSatisfy { $0["attributes"]?["attempts"] == 1 }, "a delivery was tried more than once")
        let ids = receiver.requests.compactMap { $0.header("webhook-id") }
        #expect(ids.count == 1000, "duplicates while every process lived: \(ids.count - Set(ids).count)")
        #expect(Set(ids) == Set(settled.compactMap { $0["id"]?.stringValue }))

        // Kill one process mid-run: every delivery still made at least once, under the same webhook-id.
        let before = receiver.requests.count
        let phaseTwo = try await publish(1000)
        #expect(phaseTwo == 1000)
        _ = try await receiver.waitFor(before + 100, timeout: .seconds(30))
        processes[1].kill9()
        let deadline = ContinuousClock.now + .seconds(90)
        while Set(receiver.requests.compactMap { $0.header("webhook-id") }).count < 2000, ContinuousClock.now < deadline
        {
            try await Task.sleep(for: .milliseconds(200))
        }
        let all = receiver.requests
        let unique = Set(all.compactMap { $0.header("webhook-id") })
        #expect(unique.count == 2000, "lost deliveries: \(2000 - unique.count)")
        // A repeated delivery is the same message: same webhook-id, same body.
        let byId = Dictionary(grouping: all, by: { $0.header("webhook-id") ?? "" })
        for (_, copies) in byId where copies.count > 1 {
            #expect(Set(copies.map(\.body)).count == 1)
        }
        // The processes keep connections to the receiver open: stop them first.
        processes.forEach { $0.stop() }
        await receiver.stop()

    }

    /// Waits until `count` deliveries of `hook` have succeeded; returns them as resources.
    func waitForSettledDeliveries(_ count: Int, hook: String, via process: HeraldProcess) async throws -> [JSONValue] {
        func page(_ number: Int, limit: Int) async throws -> JSONValue {
            try await process.call(
                "GET",
                "/api/v1/webhooks/\(hook)/deliveries?filter%5Bstatus%5D=succeeded&pagination%5Blimit%5D=\(limit)"
                    + "&pagination%5Bpage%5D=\(number)",
                key: TestHerald.adminKey)
        }
        let deadline = ContinuousClock.now + .seconds(90)
        while try await page(1, limit: 1)["meta"]?["total"] != .int(Int64(count)) {
            guard ContinuousClock.now < deadline else {
                throw TestFailure("fewer than \(count) deliveries succeeded in time")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        var all: [JSONValue] = []
        for number in 1...((count + 99) / 100) { all += try await page(number, limit: 100)["data"]?.arrayValue ?? [] }
        return all
    }
}
