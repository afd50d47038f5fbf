import Foundation
import HTTPTypes
import HeraldCore
import Hummingbird
import Synchronization
import Testing

@testable import HeraldServer

/// The consumer portal, through its pages as a browser uses them: one-time links, sessions,
/// CSRF, and webhooks managed under the API's own rules.
@Suite struct PortalTests {
    @Test func aLinkOpensOnceIntoASessionWithStrictCookies() async throws {
        try await TestHerald().run { api in
            let world = try await api.world()
            let url = try await api.portalLink(key: world.admin, ["expires_in": 600])
            #expect(url.hasPrefix("http://127.0.0.1:0/portal/enter?token=hpl_"))
            let browser = PortalBrowser(api.client)
            let token = String(url[url.range(of: "token=")!.upperBound...])

            // Opening the page spends nothing: a link previewer cannot use it up.
            let page = try await browser.get("/portal/enter?token=\(token)")
            #expect(page.status == .ok)
            #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            #expect(page.headers[.cacheControl] == "no-store")
            #expect(page.headers[HTTPField.Name("Referrer-Policy")!] == "same-origin")
            let entered = try await browser.post("/portal/enter", [("token", token)])
            #expect(entered.status == .seeOther)
            #expect(entered.location == "/portal/webhooks")
            let session = try #require(entered.setCookies.first { $0.hasPrefix("herald_portal=") })
            #expect(session.contains("HttpOnly"))
            #expect(session.contains("SameSite=Strict"))
            // Served over http here, so not Secure (an https public URL makes it __Host- and Secure).
            #expect(!session.contains("Secure"))
            let list = try await browser.get("/portal/webhooks")
            #expect(list.status == .ok)
            #expect(list.html.contains("Webhooks"))
            #expect(list.html.contains("Acme · every property"))

            // The second opening is refused, and says why.
            let again = PortalBrowser(api.client)
            let refused = try await again.open(url)
            #expect(refused.status == .forbidden)
            #expect(refused.html.contains("opened already"))
            #expect(try await again.get("/portal/webhooks").location == "/portal/sign-in")

            // The API lists the link as used, without its token.
            let links = try await api.call(.get, "/api/v1/portal_links", key: world.admin)
            #expect(links.items.count == 1)
            #expect(links.items.first?["attributes"]?["used_at"] != .null)
            #expect(!links.json.encodedString().contains(token))
        }
    }

    @Test func aLinkIsMadeByAdminsOnlyAndWithinTheirTenant() async throws {
        try await TestHerald().run { api in
            let world = try await api.world()
            let user = try await api.key(.user, in: world.tenant)
            let other = try await api.tenant("Other")
            let reply = try await api.call(.post, "/api/v1/portal_links", key: user, body: ["portal_link": [:]])
            #expect(reply.status == .forbidden)
            let foreign = try await api.call(
                .post, "/api/v1/portal_links", key: world.admin,
                body: ["portal_link": ["tenant_id": .string(other.text)]])
            #expect(foreign.status == .unprocessableContent)
            let typo = try await api.call(
                .post, "/api/v1/portal_links", key: world.admin, body: ["portal_link": ["expires": 60]])
            #expect(typo.status == .unprocessableContent)
            let long = try await api.call(
                .post, "/api/v1/portal_links", key: world.admin, body: ["portal_link": ["expires_in": 10_000_000]])
            #expect(long.details?["expires_in"] != nil)
            let adminScoped = try await api.call(
                .post, "/api/v1/portal_links", key: world.admin,
                body: ["portal_link": ["role": "admin", "property_ids": [.string(world.property.text)]]])
            #expect(adminScoped.details?["property_ids"] != nil)
            // A platform admin names the tenant.
            let platform = try await api.call(
                .post, "/api/v1/portal_links", key: api.admin, body: ["portal_link": ["tenant_id": .string(other.text)]]
            )
            #expect(platform.status == .created)
            #expect(platform.attributes?["role"] == "admin")
            // A tenant admin cannot revoke another tenant's link.
            let otherLink = try #require(platform.id)
            let revoke = try await api.call(.delete, "/api/v1/portal_links/\(otherLink.text)", key: world.admin)
            #expect(revoke.status == .notFound)
        }
    }

    @Test func formsWithoutTheSessionsTokenOrFromElsewhereChangeNothing() async throws {
        try await TestHerald().run { api in
            let world = try await api.world()
            let browser = try await api.portal(key: world.admin)
            _ = try await browser.get("/portal/webhooks/new")
            let fields = [
                ("callback_url", "https://hooks.example.com/a"), ("property_id", world.property.text),
                ("events[]", "booking_new"),
            ]
            let before = try api.snapshot()
            #expect(try await browser.post("/portal/webhooks", fields, csrf: "forged").status == .forbidden)
            #expect(
                try await browser.post("/portal/webhooks", fields, origin: "https://evil.example").status == .forbidden)
            // A sign-in form's token must match its cookie, and come from this site.
            let stranger = PortalBrowser(api.client)
            #expect(try await stranger.post("/portal/sign-in", [("api_key", world.admin)]).status == .forbidden)
            _ = try await stranger.get("/portal/sign-in")
            let elsewhere = try await stranger.post(
                "/portal/sign-in", [("api_key", world.admin)], origin: "https://evil.example")
            #expect(elsewhere.status == .forbidden)
            #expect(stranger.cookies["herald_portal"] == nil)
            #expect(try api.snapshot() == before)
            // The real form goes through.
            _ = try await browser.get("/portal/webhooks/new")
            let created = try await browser.post("/portal/webhooks", fields)
            #expect(created.status == .seeOther)
        }
    }

    @Test func thePortalShowsOnlyItsScope() async throws {
        try await TestHerald().run { api in
            let world = try await api.world()
            let second = try await api.property(in: world.tenant, "Second")
            let mine = try await api.activeWebhook(in: world, url: "https://hooks.example.com/mine")
            let secondHook = try await api.activeWebhook(
                in: world, url: "https://hooks.example.com/second", property: .some(second))
            let global = try await api.activeWebhook(
                in: world, url: "https://hooks.example.com/global", property: .some(nil))
            let stranger = try await api.world()
            let theirs = try await api.activeWebhook(in: stranger, url: "https://hooks.example.com/theirs")
            #expect(try await api.publish(stranger, "booking_new").status == .accepted)
            let theirDelivery = try #require(try await api.deliveries(of: theirs.id).first?["id"]?.stringValue)

            let scoped = try await api.portal(key: world.admin, ["property_ids": [.string(world.property.text)]])
            let list = try await scoped.get("/portal/webhooks")
            #expect(list.html.contains("/portal/webhooks/\(mine.id.text)"))
            for hidden in [secondHook.id, global.id, theirs.id] {
                #expect(!list.html.contains(hidden.text))
                #expect(try await scoped.get("/portal/webhooks/\(hidden.text)").status == .notFound)
                #expect(try await scoped.get("/portal/webhooks/\(hidden.text)/edit").status == .notFound)
                #expect(try await scoped.post("/portal/webhooks/\(hidden.text)/toggle").status == .notFound)
                #expect(try await scoped.post("/portal/webhooks/\(hidden.text)/secret").status == .notFound)
                #expect(try await scoped.post("/portal/webhooks/\(hidden.text)/delete").status == .notFound)
            }
            #expect(try await scoped.get("/portal/deliveries/\(theirDelivery)").status == .notFound)
            #expect(try await scoped.post("/portal/deliveries/\(theirDelivery)/redeliver").status == .notFound)
            // The form offers the scope's properties only, and no global choice; none is picked for you.
            let form = try await scoped.get("/portal/webhooks/new")
            #expect(form.html.contains("<option value=\"\" selected>Choose a property</option>"))
            #expect(form.html.contains(world.property.text))
            #expect(!form.html.contains(second.text))
            #expect(!form.html.contains("value=\"global\""))
            // Posting another property anyway is the API's refusal.
            let before = try api.snapshot()
            let refused = try await scoped.post(
                "/portal/webhooks",
                [("callback_url", "https://hooks.example.com/x"), ("property_id", second.text), ("events[]", "ari")])
            #expect(refused.status == .unprocessableContent)
            #expect(refused.html.contains("not found"))
            #expect(try api.snapshot() == before)

            // A link to the whole tenant shows its global webhook too, and still nothing of another tenant.
            let whole = try await api.portal(key: world.admin)
            let all = try await whole.get("/portal/webhooks")
            for shown in [mine.id, secondHook.id, global.id] { #expect(all.html.contains(shown.text)) }
            #expect(!all.html.contains(theirs.id.text))
            #expect(try await whole.get("/portal/webhooks/\(theirs.id.text)").status == .notFound)
        }
    }

    @Test func webhooksAreCreatedEditedAndToggledUnderTheAPIsRules() async throws {
        try await TestHerald().run { api in
            let world = try await api.world()
            let browser = try await api.portal(key: world.admin)
            _ = try await browser.get("/portal/webhooks/new")
            let before = try api.snapshot()
            let bad = try await browser.post(
                "/portal/webhooks",
                [
                    ("callback_url", "ftp://hooks.example.com/a"), ("property_id", world.property.text),
                    ("headers", "X-Token: a\u{1B}b"), ("retry_schedule", "60, soon"),
                ])
            #expect(bad.status == .unprocessableContent)
            // The API's messages, beside their fields; what was typed stays in the form.
            let api422 = try await api.call(
                .post, "/api/v1/webhooks", key: world.admin,
                body: [
                    "webhook": [
                        "callback_url": "ftp://hooks.example.com/a", "property_id": .string(world.property.text),
                        "event_mask": "",
                    ]
                ])
            let urlMessage = try #require(api422.details?["callback_url"]?.arrayValue?.first?.stringValue)
            #expect(bad.html.contains(urlMessage.replacingOccurrences(of: "'", with: "&#39;")))
            #expect(bad.html.contains("class=\"error\""))
            #expect(bad.html.contains("value=\"ftp://hooks.example.com/a\""))
            #expect(try api.snapshot() == before)

            let created = try await browser.post(
                "/portal/webhooks",
                [
                    ("callback_url", "https://hooks.example.com/pms"), ("property_id", world.property.text),
                    ("events[]", "booking_new"), ("events[]", "booking_cancellation"), ("headers", "X-Token: abc"),
                    ("request_params", "source=herald"), ("retry_schedule", "60, 300"), ("is_active", "true"),
                ])
            #expect(created.status == .seeOther)
            let path = try #require(created.location?.split(separator: "?").first.map(String.init))
            let id = try #require(UUID(uuidString: String(path.split(separator: "/").last!)))
            let stored = try #require(try await api.store.webhook(id: id))
            #expect(stored.eventMask.raw == "booking_new;booking_cancellation")
            #expect(stored.headers == ["X-Token": "abc"])
            #expect(stored.requestParams == ["source": "herald"])
            #expect(stored.retryPolicy == RetryPolicy(scheduleSeconds: [60, 300]))
            #expect(stored.isActive && stored.propertyId == world.property)
            let shown = try await browser.get(created.location!)
            #expect(shown.html.contains("Webhook created"))

            // Edit: the form comes back filled; the mask changes, the rest stays.
            let edit = try await browser.get("\(path)/edit")
            #expect(edit.html.contains("value=\"booking_new\" checked"))
            #expect(edit.html.contains("X-Token: abc"))
            let saved = try await browser.post(
                path,
                [
                    ("callback_url", "https://hooks.example.com/pms"), ("property_id", world.property.text),
                    ("events[]", "*"), ("headers", "X-Token: abc"), ("request_params", "source=herald"),
                    ("retry_schedule", "none"), ("is_active", "true"),
                ])
            #expect(saved.status == .seeOther)
            let edited = try #require(try await api.store.webhook(id: id))
            #expect(edited.eventMask.raw == "*")
            #expect(edited.retryPolicy == RetryPolicy.none)
            #expect(edited.secrets == stored.secrets)

            // Credentials in the URL are shown masked; a new path with the mask is refused (the
            // stored password would otherwise go wherever the new URL points), new credentials go.
            let secretURL = try await api.activeWebhook(in: world, url: "https://user:pass@hooks.example.com/v1")
            let secretPath = "/portal/webhooks/\(secretURL.id.text)"
            let secretForm = try await browser.get("\(secretPath)/edit")
            #expect(secretForm.html.contains("value=\"https://user:****@hooks.example.com/v1\""))
            #expect(!secretForm.html.contains("pass@"))
            let moved = try await browser.post(
                secretPath,
                [
                    ("callback_url", "https://user:****@hooks.example.com/v2"), ("property_id", world.property.text),
                    ("events[]", "*"), ("is_active", "true"),
                ])
            #expect(moved.status == .unprocessableContent)
            #expect(moved.html.contains("write the credentials again"))
            #expect(
                try await api.store.webhook(id: secretURL.id)?.callbackURL == "https://user:pass@hooks.example.com/v1")
            let rewritten = try await browser.post(
                secretPath,
                [
                    ("callback_url", "https://user:new@hooks.example.com/v2"), ("property_id", world.property.text),
                    ("events[]", "*"), ("is_active", "true"),
                ])
            #expect(rewritten.status == .seeOther)
            #expect(
                try await api.store.webhook(id: secretURL.id)?.callbackURL == "https://user:new@hooks.example.com/v2")

            // Toggle: off and on again.
            _ = try await browser.get(path)
            #expect(try await browser.post("\(path)/toggle").status == .seeOther)
            #expect(try await api.store.webhook(id: id)?.isActive == false)
            #expect(try await browser.post("\(path)/toggle").status == .seeOther)
            #expect(try await api.store.webhook(id: id)?.isActive == true)
            // A user link sees a protected webhook but may not change it.
            let guarded = try await api.activeWebhook(
                in: world, url: "https://hooks.example.com/guarded", ["protected": true])
            let user = try await api.portal(key: world.admin, ["role": "user"])
            let page = try await user.get("/portal/webhooks/\(guarded.id.text)")
            #expect(page.status == .ok)
            #expect(!page.html.contains("id=\"toggle\""))
            #expect(try await user.post("/portal/webhooks/\(guarded.id.text)/toggle").status == .forbidden)
            #expect(try await user.post("/portal/webhooks/\(guarded.id.text)/secret").status == .forbidden)
            #expect(try await api.store.webhook(id: guarded.id)?.isActive == true)
        }
    }

    @Test func octoWebhooksShowReadOnly() async throws {
        try await TestHerald().run { api in
            let world = try await api.octoWorld()
            let created = try await api.octo(
                .post, "/octo/webhooks", key: world.admin,
                body: ["event": "booking_update", "url": "https://hooks.example.com/octo"])
            let id = try #require(created.json["id"]?.stringValue)
            let browser = try await api.portal(key: world.admin)
            let list = try await browser.get("/portal/webhooks")
            #expect(list.html.contains(id))
            let page = try await browser.get("/portal/webhooks/\(id)")
            #expect(page.html.contains("managed through /octo/webhooks"))
            #expect(!page.html.contains("id=\"send-test\""))
            for action in ["test", "toggle", "delete", "secret/rotate"] {
                #expect(try await browser.post("/portal/webhooks/\(id)/\(action)").status == .forbidden)
            }
            #expect(try await browser.get("/portal/webhooks/\(id)/edit").status == .forbidden)
        }
    }

    @Test func testsSecretsRedeliveryAndRecoveryWorkFromThePortal() async throws {
        let receiver = try await TestReceiver.start { number, _ in
            number == 1 ? .init(body: #"{"hello":"portal"}"#) : .init(status: .internalServerError, body: "down")
        }
        try await TestHerald().run { api in
            let world = try await api.world()
            let hook = try await api.activeWebhook(in: world, url: receiver.url + "/hook", ["retry_policy": "none"])
            let browser = try await api.portal(key: world.admin)
            let path = "/portal/webhooks/\(hook.id.text)"
            _ = try await browser.get(path)

            let tested = try await browser.post("\(path)/test")
            #expect(tested.status == .ok)
            #expect(tested.html.contains("id=\"test-result\""))
            #expect(tested.html.contains(">200<"))
            #expect(tested.html.contains("{&quot;hello&quot;:&quot;portal&quot;}"))

            let revealed = try await browser.post("\(path)/secret")
            #expect(revealed.html.contains(hook.secret))
            let rotated = try await browser.post("\(path)/secret/rotate")
            let secret = try #require(PortalBrowser.Page.first(#"id="secret">(whsec_[^<]+)<"#, in: rotated.html))
            #expect(secret != hook.secret)
            #expect(try await api.store.webhook(id: hook.id)?.currentSecret?.value == secret)
            // A page never shows it unasked.
            #expect(!(try await browser.get(path)).html.contains(secret))

            // A delivery that fails, then its attempts, then redelivery.
            #expect(try await api.publish(world, "booking_new").status == .accepted)
            let delivery = try await api.eventually("the delivery fails") {
                try await api.deliveries(of: hook.id, status: "failed").first?["id"]?.stringValue
            }
            let log = try await browser.get(path + "?status=failed")
            #expect(log.html.contains(delivery))
            #expect(try await browser.get(path + "?status=succeeded").html.contains(delivery) == false)
            #expect(try await browser.get(path + "?event=ari").html.contains(delivery) == false)
            #expect(try await browser.get(path + "?since=2000-01-01T00:00").html.contains(delivery))
            #expect(try await browser.get(path + "?until=2000-01-01T00:00").html.contains(delivery) == false)
            let attempts = try await browser.get("/portal/deliveries/\(delivery)")
            #expect(attempts.html.contains(">500<"))
            #expect(attempts.html.contains("down"))
            let redelivered = try await browser.post("/portal/deliveries/\(delivery)/redeliver")
            #expect(redelivered.status == .seeOther)
            _ = try await api.eventually("it is tried again") {
                (try await api.call(.get, "/api/v1/deliveries/\(delivery)", key: world.admin)
                    .attributes?["attempts"]?.intValue ?? 0) >= 2 ? true : nil
            }

            // Recovery of a time range, and its validation.
            _ = try await browser.get(path)
            let wrong = try await browser.post("\(path)/recover", [("since", "yesterday")])
            #expect(wrong.status == .unprocessableContent)
            #expect(wrong.html.contains("must be an ISO 8601 date-time"))
            _ = try await api.eventually("it fails again") {
                try await api.deliveries(of: hook.id, status: "failed").first?["id"]?.stringValue
            }
            let recovered = try await browser.post("\(path)/recover", [("since", "2000-01-01T00:00")])
            #expect(recovered.status == .seeOther)
            #expect(recovered.location?.contains("count=1") == true)
            // The chart counts what happened, by outcome: the one delivery, sent again just now.
            let chart = try #require(
                PortalBrowser.Page.first(
                    #"aria-label="Deliveries in the last 24 hours: ([^"]*)""#, in: try await browser.get(path).html))
            #expect(chart.hasPrefix("0 succeeded"))
            #expect(chart.contains("1 failed") || chart.contains("1 waiting"))
        }
        await receiver.stop()
    }

    @Test func sessionsEndOnSignOutIdleTimeAndRevocation() async throws {
        var herald = try await TestHerald()
        let clock = herald.withTestClock()
        herald.delivering = false
        try await herald.run { api in
            let world = try await api.world()
            // Sign-out ends the session on the server: a copy of the cookie no longer works.
            let browser = try await api.portal(key: world.admin)
            let copy = browser.cookies
            _ = try await browser.get("/portal/webhooks")
            let out = try await browser.post("/portal/sign-out")
            #expect(out.location == "/portal/sign-in?notice=signed-out")
            #expect(browser.cookies["herald_portal"] == nil)
            let replay = PortalBrowser(api.client)
            replay.setCookies(copy)
            #expect(try await replay.get("/portal/webhooks").location == "/portal/sign-in")

            // Idle time: a request within it keeps the session; past it, it is gone.
            let idle = try await api.portal(key: world.admin)
            await clock.advance(by: .seconds(25 * 60))
            #expect(try await idle.get("/portal/webhooks").status == .ok)
            await clock.advance(by: .seconds(25 * 60))
            #expect(try await idle.get("/portal/webhooks").status == .ok)
            await clock.advance(by: .seconds(31 * 60))
            #expect(try await idle.get("/portal/webhooks").location == "/portal/sign-in")

            // Revoking the link ends the session it opened.
            let url = try await api.portalLink(key: world.admin)
            let revoked = PortalBrowser(api.client)
            _ = try await revoked.open(url)
            #expect(try await revoked.get("/portal/webhooks").status == .ok)
            let links = try await api.call(.get, "/api/v1/portal_links", key: world.admin).items
            let id = try #require(
                links.first { $0["attributes"]?["used_at"] != .null && $0["attributes"]?["revoked_at"] == .null }?[
                    "id"]?.stringValue)
            _ = try await api.call(.delete, "/api/v1/portal_links/\(id)", key: world.admin)
            #expect(try await revoked.get("/portal/webhooks").location == "/portal/sign-in?notice=ended")

            // A session outlives its link's expiry: purging expired rows keeps the link's record.
            let short = try await api.portal(key: world.admin, ["expires_in": 60])
            await clock.advance(by: .seconds(120))
            _ = try await api.portalLink(key: world.admin)
            _ = try await api.portal(key: world.admin)
            #expect(try await short.get("/portal/webhooks").status == .ok)

            // An expired link does not open.
            let late = try await api.portalLink(key: world.admin, ["expires_in": 60])
            await clock.advance(by: .seconds(61))
            #expect(try await PortalBrowser(api.client).open(late).status == .forbidden)
        }
    }

    @Test func anAPIKeySignsInButNotAPublisherOrPlatformKey() async throws {
        try await TestHerald().run { api in
            let world = try await api.world()
            let user = try await api.key(.user, in: world.tenant, scope: [world.property])
            let browser = PortalBrowser(api.client)
            _ = try await browser.get("/portal/sign-in")
            let wrong = try await browser.post("/portal/sign-in", [("api_key", "hrld_nothing")])
            #expect(wrong.status == .unauthorized)
            #expect(wrong.html.contains("not known"))
            _ = try await browser.get("/portal/sign-in")
            #expect(try await browser.post("/portal/sign-in", [("api_key", world.publisher)]).status == .forbidden)
            _ = try await browser.get("/portal/sign-in")
            #expect(try await browser.post("/portal/sign-in", [("api_key", api.admin)]).status == .forbidden)
            _ = try await browser.get("/portal/sign-in")
            let signedIn = try await browser.post("/portal/sign-in", [("api_key", user)])
            #expect(signedIn.location == "/portal/webhooks")
            let page = try await browser.get("/portal/webhooks")
            #expect(page.html.contains("Acme · 1 property"))
            // Revoking the key ends the session.
            let keys = try await api.call(.get, "/api/v1/api_keys", key: world.admin).items
            let id = try #require(keys.first { $0["attributes"]?["role"] == "user" }?["id"]?.stringValue)
            _ = try await api.call(.delete, "/api/v1/api_keys/\(id)", key: world.admin)
            #expect(try await browser.get("/portal/webhooks").location == "/portal/sign-in?notice=ended")
        }
    }

    /// Two Heralds on one database, as two processes: a session opened on one works on the other,
    /// and signing out on either ends it on both.
    @Test(arguments: Backend.allCases)
    func aSessionStartedOnOneProcessWorksOnAnother(backend: Backend) async throws {
        var first = try await TestHerald(backend)
        first.delivering = false
        defer { first.removeDatabase() }
        let second = try first.reopen()
        try await first.run(keepDatabase: true) { api in
            let world = try await api.world()
            let browser = try await api.portal(key: world.admin)
            try await second.run(keepDatabase: true) { other in
                let elsewhere = PortalBrowser(other.client)
                elsewhere.setCookies(browser.cookies)
                let page = try await elsewhere.get("/portal/webhooks")
                #expect(page.status == .ok)
                #expect(page.html.contains("Acme"))
                #expect(try await elsewhere.post("/portal/sign-out").status == .seeOther)
                #expect(try await browser.get("/portal/webhooks").location == "/portal/sign-in")
            }
        }
    }

    @Test func aLinksTokenNeverReachesTheLogs() async throws {
        var herald = try await TestHerald()
        let logs = CapturedLogs()
        herald.logger = logs.logger()
        herald.delivering = false
        try await herald.run { api in
            let world = try await api.world()
            let url = try await api.portalLink(key: world.admin)
            let token = String(url[url.range(of: "token=")!.upperBound...])
            _ = try await PortalBrowser(api.client).open(url)
            #expect(logs.text.contains("/portal/enter?token=****"))
            #expect(!logs.text.contains(token))
        }
    }

    /// A session is created once; every later write only updates it, so a refresh that races a
    /// sign-out cannot bring the session back.
    @Test(arguments: Backend.allCases)
    func aSignedOutSessionStaysGone(backend: Backend) async throws {
        try await backend.withStore { store in try await Self.signOutHolds(store) }
    }

    static func signOutHolds(_ store: some PortalStore) async throws {
        let driver = StorePersistDriver(store: store, clock: .system)
        let session = PortalSession(credential: .link, credentialId: UUID(), signedInAt: Date())
        try await driver.set(key: "portal.a", value: session, expires: .seconds(600))
        let loaded = try #require(try await driver.get(key: "portal.a", as: PortalSession.self))
        #expect(loaded.persisted && loaded.csrf == session.csrf)
        // Stored hashed: the session id is not a key of the table.
        #expect(try await store.portalSession(key: "portal.a", now: Date()) == nil)
        try await driver.remove(key: "portal.a")
        try await driver.set(key: "portal.a", value: loaded, expires: .seconds(600))
        #expect(try await driver.get(key: "portal.a", as: PortalSession.self) == nil)
        // A new session under a key that exists is refused, not merged.
        try await driver.set(key: "portal.b", value: session, expires: .seconds(600))
        await #expect(throws: PersistError.duplicate) {
            try await driver.set(key: "portal.b", value: session, expires: .seconds(600))
        }
    }

    @Test func chartsCountAWebhooksDeliveriesOnceAMinuteAtMost() async throws {
        let cache = DeliveryCountCache(lifetime: 60, capacity: 3)
        let loads = Mutex<[[UUID]]>([])
        let (a, b) = (UUID(), UUID())
        let now = Date()
        @Sendable func load(_ ids: [UUID], _ since: Date) -> [DeliveryCount] {
            loads.withLock { $0.append(ids) }
            return ids.map { DeliveryCount(webhookId: $0, hour: now, status: .failed, count: 1) }
        }
        #expect(try await cache.counts(for: [a, b], now: now, load: load).count == 2)
        // A day back from the time asked.
        _ = try await cache.counts(for: [UUID()], now: now) { ids, since in
            #expect(now.timeIntervalSince(since) == 86_400)
            return []
        }
        #expect(try await cache.counts(for: [a], now: now.addingTimeInterval(59), load: load).count == 1)
        #expect(loads.withLock { $0 } == [[a, b]])
        _ = try await cache.counts(for: [a], now: now.addingTimeInterval(60), load: load)
        #expect(loads.withLock { $0.last } == [a])
        // Full, it starts again rather than grow.
        _ = try await cache.counts(for: [UUID()], now: now, load: load)
        _ = try await cache.counts(for: [b], now: now.addingTimeInterval(1), load: load)
        #expect(loads.withLock { $0.last } == [b])
    }

    @Test func pagesEscapeWhatTheyShow() async throws {
        try await TestHerald().run { api in
            let world = try await api.world()
            _ = try await api.call(
                .put, "/api/v1/properties/\(world.property.text)", key: world.admin,
                body: ["property": ["title": "<script>alert(1)</script>"]])
            _ = try await api.activeWebhook(in: world, url: "https://hooks.example.com/a?q=<b>")
            let browser = try await api.portal(key: world.admin)
            let form = try await browser.get("/portal/webhooks/new")
            #expect(!form.html.contains("<script>alert(1)</script>"))
            #expect(form.html.contains("&lt;script&gt;"))
            #expect(!form.html.contains("<script"))
            let list = try await browser.get("/portal/webhooks")
            #expect(!list.html.contains("<script"))
            #expect(!list.html.contains("q=<b>"))
        }
    }
}
