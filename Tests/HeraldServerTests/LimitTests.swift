import Foundation
import HTTPTypes
import HeraldCore
import HeraldServer
import Testing

@Suite struct LimitTests {
    @Test func rateLimitAnswers429WithRetryAfterPerKey() async throws {
        var herald = try await TestHerald()
        herald.configuration.rateLimits = RateLimits(
            perKey: .init(perSecond: 0.5, burst: 3), publisher: .init(perSecond: 0.5, burst: 5))
        // Time stands still: no token comes back while the test runs, however slow the machine.
        _ = herald.withTestClock()
        try await herald.run { api in
            let tenant = try await api.tenant()
            let user = try await api.key(.user, in: tenant)
            let publisher = try await api.key(.publisher, in: tenant)
            for _ in 0..<3 {
                #expect(try await api.call(.get, "/api/v1/webhooks", key: user).status == .ok)
            }
            let limited = try await api.call(.get, "/api/v1/webhooks", key: user)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.json == ["errors": ["code": "http_too_many_requests", "title": "Too Many Requests"]])
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1)
            // Another key has its own budget; publishers a larger one.
            for _ in 0..<5 {
                #expect(try await api.call(.get, "/api/v1/properties", key: publisher).status == .ok)
            }
            #expect(try await api.call(.get, "/api/v1/properties", key: publisher).status == .tooManyRequests)
        }
    }

    /// Minting more keys buys a tenant no more requests; other tenants keep theirs.
    @Test func aTenantHasOneBudgetAcrossAllItsKeys() async throws {
        var herald = try await TestHerald()
        let roomy = TokenBucket.Rate(perSecond: 0.5, burst: 100)
        herald.configuration.rateLimits = RateLimits(
            perKey: roomy, publisher: roomy, perTenant: .init(perSecond: 0.5, burst: 4))
        _ = herald.withTestClock()
        try await herald.run { api in
            let tenant = try await api.tenant()
            let other = try await api.tenant("Other")
            let keys = [try await api.key(.user, in: tenant), try await api.key(.user, in: tenant)]
            let outsider = try await api.key(.user, in: other)
            for key in keys + keys {
                #expect(try await api.call(.get, "/api/v1/webhooks", key: key).status == .ok)
            }
            let third = try await api.key(.admin, in: tenant)
            let limited = try await api.call(.get, "/api/v1/webhooks", key: third)
            #expect(limited.status == .tooManyRequests)
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(try await api.call(.get, "/api/v1/webhooks", key: outsider).status == .ok)
        }
    }

    /// A client that keeps presenting bad keys gets 429 before its next unknown key is looked
    /// up; keys that worked lately still work (a neighbour behind the same address must not lock
    /// them out), and never spend that budget. Behind a trusted proxy the client is the one it
    /// forwards for.
    @Test func failedAuthenticationsAreLimitedPerClientBeforeAnyLookup() async throws {
        var herald = try await TestHerald()
        herald.configuration.rateLimits.failedAuthentications = .init(perSecond: 0.5, burst: 3)
        herald.configuration.trustedProxies = [CIDR("127.0.0.0/8")!]
        _ = herald.withTestClock()
        try await herald.run(live: true) { api in
            let tenant = try await api.tenant()
            let user = try await api.key(.user, in: tenant)
            let fresh = try await api.key(.user, in: tenant)
            for _ in 0..<5 { #expect(try await api.call(.get, "/api/v1/webhooks", key: user).status == .ok) }
            // No key at all is refused without a lookup, and spends nothing.
            for _ in 0..<5 { #expect(try await api.call(.get, "/api/v1/webhooks", key: nil).status == .unauthorized) }
            for guess in 0..<3 {
                let reply = try await api.call(.get, "/api/v1/webhooks", key: "hrld_guess-\(guess)")
                #expect(reply.status == .unauthorized)
            }
            let blocked = try await api.call(.get, "/api/v1/webhooks", key: "hrld_guess-4")
            #expect(blocked.status == .tooManyRequests)
            #expect(Int(blocked.headers[.retryAfter] ?? "") ?? 0 >= 1)
            let octo = try await api.octo(.get, "/octo/webhooks", key: "hrld_guess-5")
            #expect(octo.status == .tooManyRequests)
            // A key that worked from here still does; one never seen waits like any other.
            #expect(try await api.call(.get, "/api/v1/webhooks", key: user).status == .ok)
            #expect(try await api.call(.get, "/api/v1/webhooks", key: fresh).status == .tooManyRequests)
            // Through the proxy, another client has its own budget; a third party's forged
            // entry further left does not make it someone else.
            let forwarded = try await api.call(
                .get, "/api/v1/webhooks", key: "hrld_guess-6",
                headers: [RequestBudgetsTests.forwardedFor: "198.51.100.7"])
            #expect(forwarded.status == .unauthorized)
            for guess in 7..<9 {
                _ = try await api.call(
                    .get, "/api/v1/webhooks", key: "hrld_guess-\(guess)",
                    headers: [RequestBudgetsTests.forwardedFor: "127.0.0.1, 198.51.100.7"])
            }
            let spent = try await api.call(
                .get, "/api/v1/webhooks", key: fresh, headers: [RequestBudgetsTests.forwardedFor: "198.51.100.7"])
            #expect(spent.status == .tooManyRequests)
            let other = try await api.call(
                .get, "/api/v1/webhooks", key: fresh, headers: [RequestBudgetsTests.forwardedFor: "198.51.100.8"])
            #expect(other.status == .ok)
        }
    }

    /// A tenant's webhooks are bounded, both dialects together; a refusal stores nothing and
    /// another tenant is not touched.
    @Test(arguments: Backend.allCases)
    func aTenantHasAQuotaOfWebhooks(_ backend: Backend) async throws {
        var herald = try await TestHerald(backend)
        herald.configuration.webhookQuota = 2
        try await herald.run { api in
            let world = try await api.octoWorld()
            let other = try await api.world()
            let first = try await api.webhook(key: world.admin, property: world.property)
            #expect(first.status == .created)
            let octo = try await api.octo(
                .post, "/octo/webhooks", key: world.admin,
                body: ["event": "booking_update", "url": "https://x.example/o"])
            #expect(octo.status == .ok)
            let refused = try await api.webhook(key: world.admin, property: world.property)
            #expect(refused.status == .unprocessableContent)
            let message = try #require(refused.details?["webhook"]?.arrayValue?.first?.stringValue)
            #expect(message.contains("quota of 2 webhooks"))
            let refusedOcto = try await api.octo(
                .post, "/octo/webhooks", key: world.admin,
                body: ["event": "booking_update", "url": "https://y.example/o"])
            #expect(refusedOcto.status == .badRequest)
            #expect(refusedOcto.json["error"] == "BAD_REQUEST")
            #expect(try await api.call(.get, "/api/v1/webhooks", key: world.admin).json["meta"]?["total"] == 2)
            #expect(try await api.webhook(key: other.admin, property: other.property).status == .created)
            // Room again once one goes.
            let id = try #require(first.id)
            #expect(try await api.call(.delete, "/api/v1/webhooks/\(id.text)", key: world.admin).status == .ok)
            #expect(try await api.webhook(key: world.admin, property: world.property).status == .created)
        }
    }

    @Test func eventBodiesHaveTheirOwnLimit() async throws {
        var herald = try await TestHerald()
        herald.configuration.limits = BodyLimits(maxBytes: 2048, maxEventBytes: 8192)
        try await herald.run { api in
            let world = try await api.world()
            let fits = try await api.publish(
                world, "booking_new", payload: ["note": .string(String(repeating: "x", count: 4000))])
            #expect(fits.status == .accepted)
            let tooBig = try await api.publish(
                world, "booking_new", payload: ["note": .string(String(repeating: "x", count: 9000))])
            #expect(tooBig.status == .contentTooLarge)
            #expect(tooBig.errorCode == "payload_too_large")
            #expect(
                tooBig.details?["base"] == [
                    "the body is larger than 8192 bytes, the limit here; --max-event-bytes (HERALD_MAX_EVENT_BYTES) raises it"
                ])
            let webhook = try await api.webhook(
                key: world.admin, property: world.property,
                ["headers": ["X-Big": .string(String(repeating: "y", count: 3000))]])
            #expect(webhook.status == .contentTooLarge)
            #expect(
                webhook.details?["base"] == [
                    "the body is larger than 2048 bytes, the limit here; --max-body-bytes (HERALD_MAX_BODY_BYTES) raises it"
                ])
        }
    }
}

enum RequestBudgetsTests {
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
}
