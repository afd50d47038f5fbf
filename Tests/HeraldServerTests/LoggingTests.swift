import Foundation
import HTTPTypes
import HeraldCore
import HeraldServer
import Logging
import Synchronization
import Testing

/// Log lines: JSON when asked, a request id on every request (echoed in `X-Request-Id`), a
/// delivery id and attempt number on every attempt, and never a secret.
@Suite struct LoggingTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
        func logger(level: Logger.Level = .trace) -> Logger {
            Logger(label: "herald-test") { label in
                var handler = JSONLogHandler(label: label) { line in self.lines.withLock { $0.append(line) } }
                handler.logLevel = level
                return handler
            }
        }
    }

    @Test func jsonLinesCarryLevelMessageAndMetadata() throws {
        let lines = Lines()
        var logger = lines.logger()
        logger[metadataKey: "delivery"] = "msg_1"
        logger.warning("webhook disabled", metadata: ["reason": "410 Gone", "n": .stringConvertible(3)])
        let line = try #require(lines.all.first)
        #expect(line.hasSuffix("\n") && line.filter { $0 == "\n" }.count == 1)
        let object = try JSONValue.decode(line)
        #expect(object["level"] == "warning")
        #expect(object["message"] == "webhook disabled")
        #expect(object["delivery"] == "msg_1")
        #expect(object["reason"] == "410 Gone")
        #expect(object["n"] == "3")
        #expect(object["time"]?.stringValue.flatMap(Timestamp.parse) != nil)
    }

    @Test func everyAnswerCarriesARequestIdAndAGivenOneIsKept() async throws {
        try await TestHerald().run { api in
            let plain = try await api.call(.get, "/api/v1/webhooks", key: api.admin)
            #expect(plain.headers[HTTPField.Name("X-Request-Id")!]?.isEmpty == false)
            let given = try await api.call(
                .get, "/api/v1/nope", key: nil, headers: [HTTPField.Name("X-Request-Id")!: "pub-42.a_b"])
            #expect(given.status == .notFound)
            #expect(given.headers[HTTPField.Name("X-Request-Id")!] == "pub-42.a_b")
            let odd = try await api.call(
                .get, "/health", key: nil, headers: [HTTPField.Name("X-Request-Id")!: "no spaces please"])
            #expect(odd.headers[HTTPField.Name("X-Request-Id")!] != "no spaces please")
        }
    }

    /// At trace level, through key creation, webhook creation, a signed delivery and a secret
    /// rotation, no key, signing secret or signature reaches the log; attempts name their delivery.
    @Test func secretsNeverReachTheLogAndAttemptsNameTheirDelivery() async throws {
        let receiver = try await TestReceiver.start()
        let lines = Lines()
        var herald = try await TestHerald()
        herald.logger = lines.logger()
        try await herald.run { api in
            let world = try await api.world()
            let hook = try await api.activeWebhook(in: world, url: receiver.url)
            _ = try await api.publish(world, "booking_new")
            let request = try await receiver.waitFor(1)[0]
            try await api.waitUntilSettled()
            let rotated = try await api.call(
                .post, "/api/v1/webhooks/\(hook.id.text)/secret/rotate", key: world.admin)
            let newSecret = try #require(rotated.attributes?["signing_secret"]?.stringValue)
            let secrets = [
                TestHerald.adminKey, world.admin, world.publisher, hook.secret, newSecret,
                try #require(request.header("webhook-signature")),
            ]
            let log = lines.all.joined()
            #expect(!log.isEmpty)
            for secret in secrets {
                #expect(!log.contains(secret), "a secret reached the log")
                #expect(!log.contains(String(secret.dropFirst(6).prefix(20))), "part of a secret reached the log")
            }
            let attempts = try lines.all.map { try JSONValue.decode($0) }.filter {
                $0["message"] == "delivery attempted"
            }
            #expect(attempts.count == 1)
            #expect(attempts.first?["delivery"]?.stringValue?.hasPrefix("msg_") == true)
            #expect(attempts.first?["attempt"] == "1")
            #expect(lines.all.contains { $0.contains("hb.request.id") })
        }
        await receiver.stop()
    }
}
