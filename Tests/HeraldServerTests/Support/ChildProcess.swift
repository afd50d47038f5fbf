import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A child process started with `posix_spawn`.
///
/// Foundation's `Process.run()` on Linux crashed (a bad pointer in its `memcpy`, reading the
/// names of `/proc/self/fd`) once the test process had a couple of thousand descriptors open, as
/// the parallel suite has. The child gets only its standard input (`/dev/null`), output and
/// error.
final class ChildProcess: Sendable {
    let pid: pid_t
    private let status = Mutex<Int32?>(nil)
    /// Held while a child starts and while a pipe is made close-on-exec.
    private static let spawning = Mutex(())

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc
    /// module does not export.
    private static let addCloseFrom: @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32 =
        {
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
            else { fatalError("glibc 2.34 or later is needed: posix_spawn_file_actions_addclosefrom_np") }
            return unsafeBitCast(
                symbol,
                to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
        }()

    /// Starts `executable` with `arguments` and exactly `environment`; its standard output and
    /// error go to the descriptors `output` and `errors`, which the caller keeps and closes.
    init(_ executable: String, _ arguments: [String], environment: [String: String], output: Int32, errors: Int32)
        throws
    {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, errors, 2)
        // Nothing else of ours: a socket the child kept would hide the parent's close from its peer.
        guard Self.addCloseFrom(&actions, 3) == 0 else { throw TestFailure("posix_spawn_file_actions_addclosefrom_np") }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        // The child starts with no signal blocked and every signal at its default, whatever the
        // spawning thread (a dispatch worker) had.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let result = Self.spawning.withLock { _ in posix_spawn(&pid, executable, &actions, &attributes, argv, envp) }
        guard result == 0 else {
            throw TestFailure("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        self.pid = pid
    }

    /// Its exit status (128 + the signal when a signal ended it) once it has ended; nil while it runs.
    var exitStatus: Int32? {
        status.withLock { status in
            if status == nil {
                var raw: Int32 = 0
                if waitpid(pid, &raw, WNOHANG) == pid { status = Self.decode(raw) }
            }
            return status
        }
    }

    var isRunning: Bool { exitStatus == nil }

    /// Sends `signal` unless it has ended (and been reaped, so the pid is not someone else's).
    func send(_ signal: Int32) {
        status.withLock { status in
            if status == nil { kill(pid, signal) }
        }
    }

    /// Waits for it to end; its exit status.
    @discardableResult
    func waitUntilExit() -> Int32 {
        status.withLock { status in
            if status == nil {
                var raw: Int32 = 0
                var result: pid_t
                repeat { result = waitpid(pid, &raw, 0) } while result == -1 && errno == EINTR
                // -1 (ECHILD): nothing to wait for, which is not an exit status of 0.
                status = result == pid ? Self.decode(raw) : -1
            }
            return status ?? -1
        }
    }

    static func decode(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }

    /// A pipe whose two ends close on exec (the child gets its copy of one through `dup2`).
    static func pipe() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [0, 0]
        // pipe2(O_CLOEXEC) is not in Swift's Glibc: set the flag under the lock spawns take, so
        // no child starts between the two calls and inherits these ends.
        try spawning.withLock { _ in
            guard Glibc.pipe(&ends) == 0 else { throw TestFailure("pipe: \(String(cString: strerror(errno)))") }
            for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        }
        return (ends[0], ends[1])
    }

    struct Finished {
        var status: Int32
        var output: String
        var errors: String
    }

    /// Runs `executable` to its end, or kills it after `timeout`; what it wrote to each stream.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String], timeout: Duration = .seconds(30)
    ) async throws -> Finished {
        let output = try pipe()
        let errors: (read: Int32, write: Int32)
        do {
            errors = try pipe()
        } catch {
            close(output.read)
            close(output.write)
            throw error
        }
        let child: ChildProcess
        do {
            child = try ChildProcess(
                executable, arguments, environment: environment, output: output.write, errors: errors.write)
        } catch {
            [output.read, output.write, errors.read, errors.write].forEach { _ = close($0) }
            throw error
        }
        close(output.write)
        close(errors.write)
        async let written = readToEnd(output.read)
        async let said = readToEnd(errors.read)
        let deadline = ContinuousClock.now + timeout
        // Cancelled or not, it is killed at the end: the readers wait for its end of the pipes.
        while child.isRunning, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
        }
        child.send(SIGKILL)
        let status = child.waitUntilExit()
        return Finished(
            status: status, output: String(decoding: await written, as: UTF8.self),
            errors: String(decoding: await said, as: UTF8.self))
    }

    /// Runs `executable` to its end on this thread; its status and everything it wrote.
    static func runBlocking(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let merged = try pipe()
        let child: ChildProcess
        do {
            child = try ChildProcess(
                executable, arguments, environment: ProcessInfo.processInfo.environment, output: merged.write,
                errors: merged.write)
        } catch {
            close(merged.read)
            close(merged.write)
            throw error
        }
        close(merged.write)
        let data = FileHandle(fileDescriptor: merged.read, closeOnDealloc: true).readDataToEndOfFile()
        return (child.waitUntilExit(), String(decoding: data, as: UTF8.self))
    }

    /// Reads `descriptor` to its end on a thread of its own, not one of the tasks' few, then closes it.
    static func readToEnd(_ descriptor: Int32) async -> Data {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    returning: FileHandle(fileDescriptor: descriptor, closeOnDealloc: true).readDataToEndOfFile())
            }
        }
    }
}
