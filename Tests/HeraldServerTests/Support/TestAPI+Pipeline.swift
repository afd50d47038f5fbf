import Foundation
import HeraldCore

/// A tenant with one property, an admin key and a publisher key.
struct World: Sendable {
    var tenant: UUID
    var property: UUID
    var admin: String
    var publisher: String
}

extension TestAPI {
    func world(demoMode: Bool = false) async throws -> World {
        let tenant = try await tenant("Acme", demoMode: demoMode)
        return World(
            tenant: tenant, property: try await property(in: tenant), admin: try await key(.admin, in: tenant),
            publisher: try await key(.publisher, in: tenant))
    }

    /// An active webhook with `send_data` on; returns its id and signing secret.
    func activeWebhook(
        in world: World, url: String, mask: String = "*", property: UUID?? = .none, _ fields: [String: JSONValue] = [:]
    ) async throws -> (id: UUID, secret: String) {
        var all: [String: JSONValue] = ["is_active": true, "send_data": true]
        let scope = property ?? world.property
        if scope == nil { all["is_global"] = true }
        all.merge(fields) { _, new in new }
        let reply = try await webhook(key: world.admin, property: scope, url: url, mask: mask, all)
        guard reply.status == .created, let id = reply.id,
            let secret = reply.attributes?["signing_secret"]?.stringValue
        else { throw TestFailure("webhook not created: \(reply.json.encodedString())") }
        return (id, secret)
    }

    /// Posts one event with the publisher key; returns the answer.
    func publish(
        _ world: World, _ name: String, property: UUID?? = .none, payload: JSONValue = ["booking_id": "b-1"],
        _ fields: [String: JSONValue] = [:]
    ) async throws -> Reply {
        var event: [String: JSONValue] = [
            "name": .string(name), "payload": payload,
            "property_id": (property ?? world.property).map { .string($0.text) } ?? .null,
        ]
        event.merge(fields) { _, new in new }
        return try await call(.post, "/api/v1/events", key: world.publisher, body: ["event": .object(event)])
    }

    /// Polls a delivery until `done` holds for it (the dispatcher settles asynchronously).
    func waitForDelivery(_ id: String, timeout: Duration = .seconds(30), until done: (JSONValue) -> Bool) async throws
        -> JSONValue
    {
        try await eventually("delivery \(id) to reach the expected state", timeout: timeout) {
            // (Not `flatMap`: JSONValue takes `nil` as `.null`, which would count as found.)
            guard let attributes = try await call(.get, "/api/v1/deliveries/\(id)", key: admin).attributes,
                done(attributes)
            else { return nil as JSONValue? }
            return attributes
        }
    }

    /// What `probe` finds once it finds something (something happening elsewhere, such as the
    /// dispatcher's work), asked every 20 ms until `timeout`.
    func eventually<T: Sendable>(
        _ what: String, timeout: Duration = .seconds(30), _ probe: () async throws -> T?
    ) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let found = try await probe() { return found }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("waited \(timeout) for \(what)")
    }

    /// Waits until no delivery is pending or in flight: from then on nothing more is sent, so a
    /// test can assert what was not.
    func waitUntilSettled(timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await store.nextDueDate() == nil { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("deliveries were still pending or in flight")
    }

    /// The webhook's deliveries, newest first.
    func deliveries(of webhook: UUID, status: String? = nil) async throws -> [JSONValue] {
        let filter = status.map { "&filter[status]=\($0)" } ?? ""
        return try await call(
            .get, "/api/v1/webhooks/\(webhook.text)/deliveries?pagination[limit]=100\(filter)", key: admin
        )
        .items
    }
}
