import Foundation
import Histogram
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The bench's lean receiver: answers 204 at once, counts arrivals and, for bodies stamped with
/// `"bench_t":<µs since 1970>`, records publish-to-arrival latency.
final class BenchReceiver: Sendable {
    let port: Int
    private let arrivals = Atomic<Int>(0)
    private let latencies = Mutex(
        Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three))
    private let group: ServiceGroup
    private let task: Task<Void, Never>

    var url: String { "http://127.0.0.1:\(port)/hook" }
    var count: Int { arrivals.load(ordering: .relaxed) }

    private init(port: Int, group: ServiceGroup, task: Task<Void, Never>) {
        self.port = port
        self.group = group
        self.task = task
    }

    static func start() async throws -> BenchReceiver {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let box = Mutex<BenchReceiver?>(nil)
        let router = Router()
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            let arrived = Date()
            box.withLock { $0 }?.record(body, at: arrived)
            return .noContent
        }
        var logger = Logger(label: "bench-receiver")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task { _ = try? await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw BenchError("the receiver did not start") }
        let receiver = BenchReceiver(port: port, group: group, task: task)
        box.withLock { $0 = receiver }
        return receiver
    }

    private func record(_ body: ByteBuffer, at arrived: Date) {
        arrivals.add(1, ordering: .relaxed)
        guard let sent = Self.stamp(in: body) else { return }
        let micros = max(0, Int64(arrived.timeIntervalSince1970 * 1_000_000) - sent)
        _ = latencies.withLock { $0.record(UInt64(micros)) }
    }

    /// Takes the latencies recorded so far and starts afresh.
    func takeLatencies() -> Histogram<UInt64> {
        latencies.withLock { histogram in
            let taken = histogram
            histogram.reset()
            return taken
        }
    }

    /// Waits until `count` requests have arrived in all; false if `timeout` passed first.
    func waitFor(_ count: Int, timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while self.count < count {
            if ContinuousClock.now > deadline { return false }
            try await Task.sleep(for: .milliseconds(2))
        }
        return true
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        await task.value
    }

    static let marker = Array(#""bench_t":"#.utf8)

    /// The publish time stamped in a delivery body, in µs since 1970.
    static func stamp(in body: ByteBuffer) -> Int64? {
        body.withUnsafeReadableBytes { bytes -> Int64? in
            guard bytes.count > marker.count else { return nil }
            var index = 0
            search: while index + marker.count < bytes.count {
                for offset in 0..<marker.count where bytes[index + offset] != marker[offset] {
                    index += 1
                    continue search
                }
                var value: Int64 = 0
                var cursor = index + marker.count
                while cursor < bytes.count, bytes[cursor] >= 0x30, bytes[cursor] <= 0x39 {
                    value = value * 10 + Int64(bytes[cursor] - 0x30)
                    cursor += 1
                }
                return value
            }
            return nil
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
