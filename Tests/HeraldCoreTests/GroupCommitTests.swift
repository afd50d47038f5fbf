import Foundation
import HeraldCore
import Synchronization
import Testing

@Suite struct GroupCommitTests {
    /// Records each group it is asked to commit; holds the first until released, so that the
    /// submissions made meanwhile must wait for the next group.
    final class Recorder: Sendable {
        let groups = Mutex<[[Int]]>([])
        let gate = AsyncStream<Void>.makeStream()
        let firstStarted = AsyncStream<Void>.makeStream()

        func commit(_ items: [Int]) async -> [Result<String, any Error>] {
            let first = groups.withLock { groups in
                groups.append(items)
                return groups.count == 1
            }
            if first {
                firstStarted.continuation.yield()
                for await _ in gate.stream { break }
            }
            return items.map { $0 < 0 ? .failure(StoreError.notFound) : .success("done \($0)") }
        }
    }

    @Test func submissionsMadeDuringACommitShareTheNextOneAndEachGetsItsOwnAnswer() async throws {
        let recorder = Recorder()
        let commits = GroupCommit<Int, String>(maxCost: 100, capacity: 100) { await recorder.commit($0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let answer = try await commits.submit(0)
                #expect(answer == "done 0")
            }
            for await _ in recorder.firstStarted.stream { break }
            for n in [1, 2, -3, 4] {
                group.addTask {
                    if n < 0 {
                        await #expect(throws: StoreError.notFound) { try await commits.submit(n) }
                    } else {
                        let answer = try await commits.submit(n)
                        #expect(answer == "done \(n)")
                    }
                }
            }
            // Released once all four wait behind the first commit.
            await Self.waitUntil(commits, holds: 4)
            recorder.gate.continuation.yield()
            try await group.waitForAll()
        }
        let groups = recorder.groups.withLock { $0 }
        #expect(groups.first == [0])
        #expect(groups.count == 2)
        #expect(Set(groups[1]) == [1, 2, -3, 4])
    }

    @Test func aGroupStopsAtItsCostButALargeItemGoesAlone() async throws {
        let recorder = Recorder()
        let commits = GroupCommit<Int, String>(maxCost: 10, capacity: 100, cost: { $0 }) {
            await recorder.commit($0)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { _ = try await commits.submit(0) }
            for await _ in recorder.firstStarted.stream { break }
            for n in [6, 5, 30] { group.addTask { _ = try await commits.submit(n) } }
            await Self.waitUntil(commits, holds: 3)
            recorder.gate.continuation.yield()
            try await group.waitForAll()
        }
        let groups = recorder.groups.withLock { $0 }.dropFirst()
        #expect(groups.allSatisfy { $0.reduce(0, +) <= 10 || $0.count == 1 })
        #expect(groups.map(\.count).reduce(0, +) == 3)
    }

    @Test func beyondItsCapacityASubmissionIsTurnedAwayAtOnce() async throws {
        let recorder = Recorder()
        let commits = GroupCommit<Int, String>(maxCost: 100, capacity: 2) { await recorder.commit($0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { _ = try await commits.submit(0) }
            for await _ in recorder.firstStarted.stream { break }
            group.addTask { _ = try await commits.submit(1) }
            group.addTask { _ = try await commits.submit(2) }
            await Self.waitUntil(commits, holds: 2)
            await #expect(throws: StoreOverloaded.self) { try await commits.submit(3) }
            recorder.gate.continuation.yield()
            try await group.waitForAll()
        }
        #expect(recorder.groups.withLock { $0 }.flatMap { $0 }.sorted() == [0, 1, 2])
    }

    @Test func withRoomForTwoCommitsASecondStartsBesideTheFirst() async throws {
        let recorder = Recorder()
        let commits = GroupCommit<Int, String>(maxCost: 100, capacity: 100, parallel: 2) { items in
            // Every commit after the first goes through at once; the first is held.
            await recorder.commit(items)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { _ = try await commits.submit(0) }
            for await _ in recorder.firstStarted.stream { break }
            // Answered while the first commit is still held: it had a commit of its own.
            let answer = try await commits.submit(1)
            #expect(answer == "done 1")
            recorder.gate.continuation.yield()
            try await group.waitForAll()
        }
        #expect(recorder.groups.withLock { $0 } == [[0], [1]])
    }

    /// Yields until `count` submissions wait behind the held first commit.
    static func waitUntil(_ commits: GroupCommit<Int, String>, holds count: Int) async {
        while commits.waiting < count { await Task.yield() }
    }
}
