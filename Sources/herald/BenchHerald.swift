import AsyncHTTPClient
import Foundation
import HeraldCore
import HeraldDelivery
import HeraldSQLite
import HeraldServer
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// Herald as `herald serve` runs it, on a loopback port, driven over its HTTP API.
struct BenchHerald: Sendable {
    static let batchSize = 1_000

    let base: String
    let admin: String
    let client: HTTPClient

    /// The tenant's property and publisher key.
    struct World: Sendable {
        var tenant: UUID
        var property: String
        var publisher: String
    }

    /// Runs `body` against Herald on `store`, with or without a dispatcher, then stops it.
    /// `store` is made anew for each run: a PostgreSQL store's client runs, and stops, with the application.
    static func run<Store: HeraldStore, T: Sendable>(
        store makeStore: () throws -> Store, client: HTTPClient, admin: String, dispatching: Bool, concurrency: Int,
        logger: Logger, _ body: (BenchHerald, Store) async throws -> T
    ) async throws -> T {
        let store = try makeStore()
        let port = try await freePort()
        let unlimited = TokenBucket.Rate(perSecond: 1_000_000, burst: 1_000_000)
        let configuration = HeraldConfiguration(
            port: port, dispatcher: DispatcherConfiguration(concurrency: concurrency, batchSize: concurrency),
            runsDispatcher: dispatching, targetPolicy: TargetPolicy(allowed: [CIDR("127.0.0.0/8")!]),
            rateLimits: RateLimits(perKey: unlimited, publisher: unlimited, perTenant: unlimited))
        let app = buildApplication(store: store, configuration: configuration, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let herald = BenchHerald(base: "http://127.0.0.1:\(port)", admin: admin, client: client)
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await herald.waitUntilUp()
                let result = try await body(herald, store)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }

    func waitUntilUp() async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let (status, _) = try? await call(.GET, "/health", key: nil), status < 500 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BenchError("Herald did not start")
    }

    /// Calls the API; answers the status and the JSON body (null when not `decoding`: publishers
    /// under load read only the status, so that the client's parsing does not eat the server's CPU).
    func call(_ method: HTTPMethod, _ path: String, key: String?, body: JSONValue? = nil, decoding: Bool = true)
        async throws -> (Int, JSONValue)
    {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let key { request.headers.add(name: "user-api-key", value: key) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body.encodedString()))
        }
        let response = try await client.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        let json = decoding ? (try? JSONValue.decode(Data(bytes.readableBytesView))) ?? .null : .null
        return (Int(response.status.code), json)
    }

    /// A tenant with a property, a publisher key and one webhook to the receiver.
    func setUp(receiver: BenchReceiver) async throws -> World {
        let (_, tenant) = try await call(.POST, "/api/v1/tenants", key: admin, body: ["tenant": ["name": "Bench"]])
        guard let tenantId = tenant["data"]?["id"] else { throw BenchError("no tenant: \(tenant.encodedString())") }
        let (_, property) = try await call(
            .POST, "/api/v1/properties", key: admin, body: ["property": ["title": "Bench", "tenant_id": tenantId]])
        let (_, key) = try await call(
            .POST, "/api/v1/api_keys", key: admin, body: ["api_key": ["role": "publisher", "tenant_id": tenantId]])
        guard let propertyId = property["data"]?["id"]?.stringValue,
            let publisher = key["data"]?["attributes"]?["key"]?.stringValue,
            let tenant = tenantId.stringValue.flatMap(UUID.init(uuidString:))
        else { throw BenchError("set-up failed") }
        let (status, webhook) = try await call(
            .POST, "/api/v1/webhooks", key: admin,
            body: [
                "webhook": [
                    "property_id": .string(propertyId), "callback_url": .string(receiver.url), "event_mask": "*",
                    "is_active": true, "send_data": true, "max_in_flight": 64,
                ]
            ])
        guard status == 201 else { throw BenchError("webhook not created: \(webhook.encodedString())") }
        return World(tenant: tenant, property: propertyId, publisher: publisher)
    }

    func event(_ world: World, payload: JSONValue) -> JSONValue {
        ["name": "booking_new", "property_id": .string(world.property), "payload": payload]
    }

    /// Posts `events` single events, `concurrency` at once; events/s.
    func publishSingly(_ world: World, events: Int, concurrency: Int) async throws -> Double {
        let start = ContinuousClock.now
        try await forEach(0..<events, concurrency: concurrency) { n in
            let (status, _) = try await call(
                .POST, "/api/v1/events", key: world.publisher,
                body: ["event": event(world, payload: ["booking_id": .string("b-\(n)"), "n": .int(Int64(n))])],
                decoding: false)
            guard status == 202 else { throw BenchError("publish answered \(status)") }
        }
        return Double(events) / (ContinuousClock.now - start).seconds
    }

    /// Posts `batches` batches of ``batchSize`` events, two at once; events/s.
    func publishBatches(_ world: World, batches: Int) async throws -> Double {
        let start = ContinuousClock.now
        try await forEach(0..<batches, concurrency: 2) { batch in
            let events = (0..<Self.batchSize).map { n in
                event(world, payload: ["booking_id": .string("b-\(batch)-\(n)"), "n": .int(Int64(n))])
            }
            let (status, _) = try await call(
                .POST, "/api/v1/events/batch", key: world.publisher, body: ["events": .array(events)], decoding: false)
            guard status == 202 else { throw BenchError("batch publish answered \(status)") }
        }
        return Double(batches * Self.batchSize) / (ContinuousClock.now - start).seconds
    }

    /// Adds a webhook to the receiver on the world's property: the second endpoint the processes
    /// measure drains to (one endpoint's in-flight limit holds across processes).
    func addEndpoint(_ world: World, receiver: BenchReceiver) async throws {
        let (status, webhook) = try await call(
            .POST, "/api/v1/webhooks", key: admin,
            body: [
                "webhook": [
                    "property_id": .string(world.property), "callback_url": .string(receiver.url + "?second"),
                    "event_mask": "*", "is_active": true, "send_data": true, "max_in_flight": 64,
                ]
            ])
        guard status == 201 else { throw BenchError("webhook not created: \(webhook.encodedString())") }
    }

    /// Adds `webhooks` webhooks on the world's property (straight into the store), publishes one
    /// event and answers the time to its 202 and to the last delivery's arrival, in ms.
    func fanOut(_ world: World, store: some WebhookStore, receiver: BenchReceiver, webhooks: Int) async throws -> (
        firstAccepted: Double, accepted: Double, lastArrival: Double
    ) {
        guard let property = UUID(text: world.property) else { throw BenchError("no property") }
        let hooks = try BenchWorlds.webhooks(
            tenantId: world.tenant, properties: [property], perProperty: webhooks, masks: ["*"],
            url: { receiver.url + "?fan-out=\($0)" }, now: Date())
        try await store.insertWebhooks(hooks)
        // The first event after the webhooks changed reads their routes; the next finds them cached.
        var accepted: [Double] = []
        var lastArrival = 0.0
        for n in 0..<2 {
            let expected = receiver.count + webhooks + 1
            let start = ContinuousClock.now
            let (status, answer) = try await call(
                .POST, "/api/v1/events", key: world.publisher,
                body: ["event": event(world, payload: ["booking_id": .string("fan-out-\(n)")])])
            accepted.append((ContinuousClock.now - start).seconds * 1000)
            guard status == 202 else {
                throw BenchError("fan-out publish answered \(status): \(answer.encodedString())")
            }
            guard try await receiver.waitFor(expected, timeout: .seconds(600)) else {
                throw BenchError("the fan-out did not arrive within 10 minutes")
            }
            lastArrival = (ContinuousClock.now - start).seconds * 1000
        }
        return (accepted[0], accepted[1], lastArrival)
    }

    /// Publishes `perSecond` events a second for `seconds`, each stamped with the time it was due
    /// to go (so a late publish counts against latency); how many it sent.
    func publishAtRate(_ world: World, perSecond: Int, seconds: Double, concurrency: Int) async throws -> Int {
        let total = Int(Double(perSecond) * seconds)
        let origin = Date().addingTimeInterval(0.05)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<concurrency {
                group.addTask {
                    for n in stride(from: lane, to: total, by: concurrency) {
                        let due = origin.addingTimeInterval(Double(n) / Double(perSecond))
                        let wait = due.timeIntervalSinceNow
                        if wait > 0 { try await Task.sleep(for: .microseconds(Int64(wait * 1_000_000))) }
                        let stamp = Int64(due.timeIntervalSince1970 * 1_000_000)
                        let (status, _) = try await call(
                            .POST, "/api/v1/events", key: world.publisher,
                            body: [
                                "event": event(
                                    world, payload: ["booking_id": .string("b-\(n)"), "bench_t": .int(stamp)])
                            ], decoding: false)
                        guard status == 202 else { throw BenchError("publish answered \(status)") }
                    }
                }
            }
            try await group.waitForAll()
        }
        return total
    }
}
