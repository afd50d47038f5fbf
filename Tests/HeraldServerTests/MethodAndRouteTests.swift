import Foundation
import HTTPTypes
import HeraldCore
import Testing

/// A known path with another method answers 405 with `Allow`; an unknown path answers 404; both
/// in the dialect's shape.
@Suite struct MethodAndRouteTests {
    static func allow(_ headers: HTTPFields) -> Set<String> {
        Set((headers[.allow] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }

    @Test func aKnownPathWithAnotherMethodIs405WithAllow() async throws {
        try await TestHerald().run { api in
            let events = try await api.call(.delete, "/api/v1/events/batch", key: api.admin)
            #expect(events.status == .methodNotAllowed)
            #expect(events.headers[.allow] == "POST")
            #expect(events.errorCode == "method_not_allowed")
            #expect(events.details?["base"] == ["DELETE is not allowed here; allowed: POST"])

            let webhook = try await api.call(.patch, "/api/v1/webhooks/\(UUID().text)", key: nil)
            #expect(webhook.status == .methodNotAllowed)
            let allow = Self.allow(webhook.headers)
            #expect(allow.isSuperset(of: ["DELETE", "GET", "PUT"]))
            #expect(!allow.contains("PATCH"))
        }
    }

    @Test func octoAnswers405And404InItsShape() async throws {
        try await TestHerald().run { api in
            let world = try await api.octoWorld()
            let put = try await api.octo(.put, "/octo/webhooks", key: world.admin, body: [:])
            #expect(put.status == .methodNotAllowed)
            #expect(put.json["error"] == "METHOD_NOT_ALLOWED")
            #expect(Self.allow(put.headers).isSuperset(of: ["DELETE", "GET", "POST"]))
            let missing = try await api.octo(.get, "/octo/bookings", key: world.admin)
            #expect(missing.status == .notFound)
            #expect(missing.json["error"] == "NOT_FOUND")
            #expect(missing.json["errorMessage"]?.stringValue?.contains("no route for GET /octo/bookings") == true)
        }
    }

    @Test func anUnknownPathIs404() async throws {
        try await TestHerald().run { api in
            let reply = try await api.call(.get, "/api/v1/webhookz", key: api.admin)
            #expect(reply.status == .notFound)
            #expect(reply.errorCode == "resource_not_found")
            #expect(reply.details?["base"] == ["no route for GET /api/v1/webhookz"])
        }
    }

    /// `GET /api/v1/webhooks/test` is the `test` route's (POST only), as the router sees it, not
    /// the `{id}` route's; HEAD works wherever GET does.
    @Test func theMostSpecificRouteAnswersAndHeadFollowsGet() async throws {
        try await TestHerald().run { api in
            let get = try await api.call(.get, "/api/v1/webhooks/test", key: api.admin)
            #expect(get.status == .methodNotAllowed)
            #expect(get.headers[.allow] == "POST")
            let head = try await api.call(.head, "/health", key: nil)
            #expect(head.status == .ok)
            let patch = try await api.call(.patch, "/health", key: nil)
            #expect(Self.allow(patch.headers) == ["GET", "HEAD"])
        }
    }
}
