/// Runs `operation` until it ends or `limit` passes, whichever is first; then cancels it (it must
/// stop promptly when cancelled) and answers nil if the limit came first. When the caller itself is
/// cancelled, the operation's own answer is returned, not a timeout.
public func withDeadline<Value: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async -> Value) async
    -> Value?
{
    await withTaskGroup(of: DeadlineRace<Value>.self) { group in
        group.addTask { .done(await operation()) }
        group.addTask {
            do {
                try await Task.sleep(for: limit)
                return .timedOut
            } catch {
                return .cancelled
            }
        }
        defer { group.cancelAll() }
        while let next = await group.next() {
            switch next {
            case .done(let value): return value
            case .timedOut: return nil
            case .cancelled: continue
            }
        }
        return nil
    }
}

/// Which of an operation and its deadline ended first.
private enum DeadlineRace<Value: Sendable>: Sendable {
    case done(Value)
    case timedOut
    case cancelled
}
