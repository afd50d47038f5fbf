import GRDB
import Synchronization

/// Read-only connections for point reads (``SQLiteStore/pointRead(_:)``), taken in turn.
///
/// A connection serves one caller at a time, and a second caller at the same moment waits on a
/// lock (a futex and two context switches). With one connection, the two task-pool threads of a
/// 2-core machine met there on most events; with a few, taken in turn, they rarely do.
final class PointReaders: Sendable {
    private let connections: [DatabaseQueue]
    private let turn = Atomic<Int>(0)

    /// Connections opened: a few more than the task pool has threads.
    static let count = 4

    init(path: String) throws {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        connections = try (0..<Self.count).map { _ in try DatabaseQueue(path: path, configuration: configuration) }
    }

    /// The connection whose turn it is.
    var next: DatabaseQueue {
        let (turn, _) = turn.add(1, ordering: .relaxed)
        return connections[Int(UInt(bitPattern: turn) % UInt(connections.count))]
    }
}
