import Foundation
import HTTPTypes
import HeraldCore
import HeraldDelivery
import HeraldServer
import Testing

@Suite struct TargetPolicyAPITests {
    /// A Herald with the default (closed) target policy.
    func closedHerald(resolver: any HostResolver = StubResolver([:])) async throws -> TestHerald {
        var herald = try await TestHerald()
        herald.configuration.targetPolicy = TargetPolicy()
        if let stub = resolver as? StubResolver { herald.resolver = stub }
        return herald
    }

    @Test func addressesInOtherSpellingsAreRefusedAndNamesAreStoredInASCII() async throws {
        try await TestHerald().run { api in
            let world = try await api.world()
            for url in ["http://2130706433/", "http://0x7f.1/"] {
                let reply = try await api.webhook(key: world.admin, property: world.property, url: url)
                #expect(reply.status == .unprocessableContent)
                #expect(
                    reply.details?["callback_url"]
                        == ["names an address in a non-canonical form; write it as 127.0.0.1"])
            }
            let reply = try await api.webhook(
                key: world.admin, property: world.property, url: "https://bücher.example/x")
            #expect(reply.status == .created)
            #expect(reply.attributes?["callback_url"] == "https://xn--bcher-kva.example/x")
        }
    }

    @Test(arguments: [
        "http://127.0.0.1/", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
        "http://169.254.169.254/latest/meta-data", "http://10.0.0.1:8080/", "http://[fd00::1]/", "http://100.64.1.1/",
        "http://[64:ff9b::a9fe:a9fe]/", "http://internal.example/", "http://localhost:9000/",
    ])
    func registrationRefusesInternalTargets(url: String) async throws {
        let herald = try await closedHerald(
            resolver: StubResolver(["internal.example": ["10.1.2.3"], "localhost": ["127.0.0.1"]]))
        try await herald.run { api in
            let world = try await api.world()
            let reply = try await api.webhook(key: world.admin, property: world.property, url: url)
            #expect(reply.status == .unprocessableContent)
            let message = reply.details?["callback_url"]?.arrayValue?.first?.stringValue ?? ""
            #expect(message.contains("--allow-targets"), "\(message)")
            if url.contains("[::1]") { #expect(message.contains("loopback"), "\(message)") }
            // What a name resolved to stays with Herald: naming it would map the internal network.
            if url.contains("internal.example") {
                #expect(
                    message == "resolves to a private address; allow it with --allow-targets (HERALD_ALLOW_TARGETS)")
            }
            if url.contains("localhost") { #expect(!message.contains("127.0.0.1"), "\(message)") }
            let test = try await api.call(
                .post, "/api/v1/webhooks/test", key: world.admin,
                body: ["webhook": ["callback_url": .string(url), "event_mask": "*"]])
            #expect(test.status == .unprocessableContent)
        }
    }

    @Test func publicTargetsAndUnresolvedNamesAreAccepted() async throws {
        let herald = try await closedHerald(resolver: StubResolver(["hooks.example.com": ["93.184.215.14"]]))
        try await herald.run { api in
            let world = try await api.world()
            for url in ["https://hooks.example.com/x", "https://93.184.215.14/x", "https://not-yet.example/x"] {
                #expect(try await api.webhook(key: world.admin, property: world.property, url: url).status == .created)
            }
        }
    }

    @Test func updateToAnInternalTargetIsRefused() async throws {
        let herald = try await closedHerald()
        try await herald.run { api in
            let world = try await api.world()
            let id = try #require(
                try await api.webhook(key: world.admin, property: world.property, url: "https://8.8.8.8/").id)
            let reply = try await api.call(
                .put, "/api/v1/webhooks/\(id.text)", key: world.admin,
                body: ["webhook": ["callback_url": "http://192.168.0.1/"]])
            #expect(reply.status == .unprocessableContent)
            let after = try await api.call(.get, "/api/v1/webhooks/\(id.text)", key: world.admin)
            #expect(after.attributes?["callback_url"] == "https://8.8.8.8/")
        }
    }

    /// Transport errors name the address they connected to; the attempt log does not.
    @Test func transportErrorsInTheAttemptLogNameNoAddress() {
        let scrubbed = HTTPSender.scrubbingAddresses(
            "connect(descriptor:addr:size:): No route to host (errno: 113) [IPv4]10.1.2.3/10.1.2.3:443, [IPv6]fd00::1/fd00::1:443"
        )
        #expect(!scrubbed.contains("10.1.2.3"), "\(scrubbed)")
        #expect(!scrubbed.contains("fd00"), "\(scrubbed)")
        #expect(scrubbed.contains("No route to host"))
    }

    @Test func aNameThatRebindsToAnInternalAddressIsRefusedAtDelivery() async throws {
        let receiver = try await TestReceiver.start()
        var herald = try await TestHerald()
        herald.configuration.targetPolicy = TargetPolicy()
        let resolver = RebindingResolver(before: ["93.184.215.14"], after: ["127.0.0.1"], first: 1)
        try await herald.run(resolver: resolver) { api in
            let world = try await api.world()
            let hook = try await api.activeWebhook(in: world, url: "http://rebind.example:\(receiver.port)/")
            _ = try await api.publish(world, "booking_new")
            let id = try #require(try await api.deliveries(of: hook.id).first?["id"]?.stringValue)
            let delivery = try await api.waitForDelivery(id) { $0["status"] == "failed" }
            // The log the tenant reads says why, not where the name pointed.
            let error = try #require(delivery["last_error"]?.stringValue)
            #expect(error.contains("resolves to a loopback address"), "\(error)")
            #expect(!error.contains("127.0.0.1"), "\(error)")
            #expect(receiver.requests.isEmpty)
        }
        await receiver.stop()
    }

    @Test func aNameConnectsOnlyToTheAddressThatWasChecked() async throws {
        // The machine cannot resolve this name; the delivery reaches the receiver only because the
        // connection goes to the checked address.
        let receiver = try await TestReceiver.start()
        var herald = try await TestHerald()
        herald.resolver = StubResolver(["pinned.example": ["127.0.0.1"]])
        try await herald.run { api in
            let world = try await api.world()
            _ = try await api.activeWebhook(in: world, url: "http://pinned.example:\(receiver.port)/pinned")
            _ = try await api.publish(world, "booking_new")
            let request = try await receiver.waitFor(1)[0]
            #expect(request.path == "/pinned")
            #expect(request.authority?.hasPrefix("pinned.example") == true)
        }
        await receiver.stop()
    }
}
