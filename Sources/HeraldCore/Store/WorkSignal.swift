import Foundation
import Synchronization

/// "Deliveries may be due": what a queue announces when a commit makes work, and what each worker
/// waits on. One announcement wakes every subscriber once; announcements that come while a
/// subscriber is busy fold into one, so a worker never falls behind on wake-ups.
public final class WorkSignal: Sendable {
    private let subscribers = Mutex<[UInt64: AsyncStream<Void>.Continuation]>([:])
    private let nextId = Atomic<UInt64>(0)

    public init() {}

    /// Wakes every subscriber.
    public func announce() {
        for subscriber in subscribers.withLock({ Array($0.values) }) { subscriber.yield() }
    }

    /// A stream that yields after each announcement (folded while unread); ends when dropped.
    public func subscribe() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let id = nextId.add(1, ordering: .relaxed).newValue
        subscribers.withLock { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        return stream
    }
}
