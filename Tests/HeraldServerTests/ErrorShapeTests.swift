import Foundation
import HeraldCore
import Testing

@Suite struct ErrorShapeTests {
    @Test func malformedJSONIs400InChannexShape() async throws {
        try await TestHerald().run { api in
            for raw in ["{\"webhook\":", "not json", "\u{FF}\u{FE}"] {
                let reply = try await api.call(.post, "/api/v1/webhooks", key: api.admin, raw: raw)
                #expect(reply.status == .badRequest)
                #expect(reply.errorCode == "bad_request")
            }
        }
    }

    @Test func bodyWithoutTheWrapperKeyIs422() async throws {
        try await TestHerald().run { api in
            let reply = try await api.call(
                .post, "/api/v1/webhooks", key: api.admin, body: ["callback_url": "https://x.io"])
            #expect(reply.status == .unprocessableContent)
            #expect(reply.details?["webhook"] == ["can't be blank"])
            #expect(reply.details?["callback_url"] == ["is not a known field (known fields: webhook)"])
            let array = try await api.call(.post, "/api/v1/webhooks", key: api.admin, body: [1, 2])
            #expect(array.status == .badRequest)
        }
    }

    @Test func oversizedBodyIs413() async throws {
        try await TestHerald().run { api in
            let big = String(repeating: "a", count: 70 * 1024)
            let reply = try await api.call(
                .post, "/api/v1/webhooks", key: api.admin, body: ["webhook": ["callback_url": .string(big)]])
            #expect(reply.status == .contentTooLarge)
            #expect(reply.errorCode == "payload_too_large")
        }
    }

    @Test func deeplyNestedJSONIsRefused() async throws {
        try await TestHerald().run { api in
            let raw = "{\"webhook\":" + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}"
            let reply = try await api.call(.post, "/api/v1/webhooks", key: api.admin, raw: raw)
            #expect(reply.status == .badRequest)
        }
    }

    @Test func unknownRoutesAndMalformedIdsAre404InChannexShape() async throws {
        try await TestHerald().run { api in
            for path in ["/api/v1/nothing", "/api/v1/webhooks/not-a-uuid", "/api/v1/webhooks/../tenants", "/nowhere"] {
                let reply = try await api.call(.get, path, key: api.admin)
                #expect(reply.status == .notFound, "\(path)")
                #expect(reply.errorCode == "resource_not_found")
            }
        }
    }

    @Test func trailingSlashIsAccepted() async throws {
        try await TestHerald().run { api in
            let reply = try await api.call(.get, "/api/v1/webhooks/", key: api.admin)
            #expect(reply.status == .ok)
        }
    }
}
