import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// Start-up failures a person can act on, said in one line on standard error.
enum StartUp {
    /// Writes `herald: <message>` to standard error and exits with status 1 (no usage text: the
    /// command line was fine, the machine was not).
    static func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("herald: \(message)\n".utf8))
        return ExitCode.failure
    }

    /// Fails with one line naming the port when `host:port` cannot be listened on, before anything
    /// else happens (an admin key printed for a server that never ran would be lost).
    static func ensureListenable(host: String, port: Int, portOption: String = "--port") async throws {
        do {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: host, port: port).get()
            try await channel.close()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw fail(
                "port \(port) on \(host) is already in use; stop what listens there or choose another with \(portOption)"
            )
        } catch let error as IOError where error.errnoCode == EACCES {
            throw fail("not allowed to listen on port \(port) of \(host); ports below 1024 need privileges")
        } catch {
            throw fail("cannot listen on \(host):\(port): \(error)")
        }
    }
}
