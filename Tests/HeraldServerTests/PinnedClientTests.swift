import Foundation
import HeraldCore
import HeraldDelivery
import Testing

/// The per-host client cache is bounded, and making it turn over cannot cut off sends in flight.
@Suite struct PinnedClientTests {
    func target(_ host: String) -> CheckedTarget {
        CheckedTarget(host: host, address: IPAddress(host: "127.0.0.1")!, isLiteral: false)
    }

    func request(_ host: String, _ receiver: TestReceiver, path: String) -> OutboundRequest {
        OutboundRequest(url: "http://\(host):\(receiver.port)\(path)", headers: [], body: Data("{}".utf8))
    }

    @Test func aFullCacheEvictsTheLeastRecentlyUsedIdleClientNotOneInUse() async throws {
        let receiver = try await TestReceiver.start { _, request in
            request.path == "/slow" ? .init(delay: .seconds(1)) : .init()
        }
        let sender = HTTPSender(timeouts: .init(connect: .seconds(2), total: .seconds(5)), maxPinnedClients: 2)
        // A send to a.test is under way while b.test and c.test come and go.
        async let slow = sender.send(request("a.test", receiver, path: "/slow"), to: target("a.test"))
        _ = try await receiver.waitFor(1)
        for host in ["b.test", "c.test", "d.test"] {
            let outcome = await sender.send(request(host, receiver, path: "/fast"), to: target(host))
            #expect(outcome.statusCode == 200, "\(host): \(outcome)")
            #expect(sender.pinnedClientCount <= 2)
        }
        #expect(await slow.statusCode == 200)
        try await sender.shutdown()
        await receiver.stop()
    }
}
