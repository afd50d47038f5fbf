import Synchronization

/// Group commit: work that concurrent callers submit is committed together, in one transaction
/// (one disk flush) per group instead of one each. Each caller still gets its own answer only
/// after the transaction holding its work committed.
///
/// Nothing waits to fill a group: the first submission starts a commit at once, and whatever
/// arrives while it runs forms the next group (or, with `parallel` above 1, starts another commit
/// beside it, up to that many). Under light load a group holds one item and costs
/// what a plain commit costs; under heavy load groups grow and flushes stay few.
///
/// Bounded: a group holds at most `maxCost` (an item that alone costs more goes alone), and at
/// most `capacity` items wait; beyond that a submission fails at once with ``StoreOverloaded``
/// rather than queueing without end.
public final class GroupCommit<Item: Sendable, Output: Sendable>: Sendable {
    /// Commits `items` in one transaction; one result per item, in order. An item that fails
    /// alone (its own result is a failure) must leave the others' work in place.
    public typealias Commit = @Sendable ([Item]) async -> [Result<Output, any Error>]

    private struct Waiter: Sendable {
        var item: Item
        var cost: Int
        var continuation: CheckedContinuation<Output, any Error>
    }

    private struct State: Sendable {
        var waiting: [Waiter] = []
        /// Commits under way.
        var committing = 0
    }

    private let state = Mutex(State())
    private let maxCost: Int
    private let capacity: Int
    private let parallel: Int
    private let cost: @Sendable (Item) -> Int
    private let commit: Commit

    /// - Parameters:
    ///   - maxCost: the most cost (``cost`` of each item summed) one group takes.
    ///   - capacity: the most items waiting for a group.
    ///   - parallel: groups committed at once (1 for a database with one writer; more where
    ///     transactions on several connections proceed together).
    public init(
        maxCost: Int, capacity: Int, parallel: Int = 1, cost: @escaping @Sendable (Item) -> Int = { _ in 1 },
        commit: @escaping Commit
    ) {
        self.maxCost = max(1, maxCost)
        self.capacity = max(1, capacity)
        self.parallel = max(1, parallel)
        self.cost = cost
        self.commit = commit
    }

    /// Submissions waiting for a group (not those being committed).
    public var waiting: Int { state.withLock { $0.waiting.count } }

    /// Commits `item` with whatever else is submitted meanwhile; answers once that commit is done.
    /// A caller cancelled meanwhile does not withdraw its item: once submitted, it is committed.
    public func submit(_ item: Item) async throws -> Output {
        let cost = cost(item)
        return try await withCheckedThrowingContinuation { continuation in
            let role = state.withLock { state -> SubmitRole in
                guard state.waiting.count < capacity else { return .refused }
                state.waiting.append(Waiter(item: item, cost: cost, continuation: continuation))
                if state.committing >= parallel { return .follower }
                state.committing += 1
                return .leader
            }
            switch role {
            case .refused: continuation.resume(throwing: StoreOverloaded())
            case .follower: break
            case .leader: Task { await self.drain() }
            }
        }
    }

    /// Commits group after group until nothing waits.
    private func drain() async {
        while true {
            let group = state.withLock { state -> [Waiter] in
                var total = 0
                var count = 0
                for waiter in state.waiting {
                    if count > 0 && total + waiter.cost > maxCost { break }
                    total += waiter.cost
                    count += 1
                }
                let group = Array(state.waiting.prefix(count))
                state.waiting.removeFirst(count)
                if group.isEmpty { state.committing -= 1 }
                return group
            }
            guard !group.isEmpty else { return }
            let results = await commit(group.map(\.item))
            for (index, waiter) in group.enumerated() {
                waiter.continuation.resume(
                    with: index < results.count ? results[index] : .failure(GroupCommitError.missingResult))
            }
        }
    }
}

/// What a submission does once queued.
private enum SubmitRole {
    /// Starts the commits.
    case leader
    /// A commit is under way; it will take this one too.
    case follower
    /// Too much waits.
    case refused
}

/// Too much is waiting to be committed already: try again shortly (an HTTP 503).
public struct StoreOverloaded: Error, Sendable {
    public init() {}
}

/// A commit answered fewer results than it was given items.
enum GroupCommitError: Error {
    case missingResult
}
