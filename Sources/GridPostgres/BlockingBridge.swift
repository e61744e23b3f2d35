import Foundation

/// Runs async work to completion for a synchronous caller.
///
/// The work runs as a task whose executor preference is one dedicated thread (`BridgeExecutor`), so finishing it
/// needs neither the caller's thread nor Swift's cooperative pool: a blocking call from inside an async test or
/// task cannot starve the pool (2 cores here means 2 pool threads). Never call `run` from work already running on
/// the bridge (it would wait for itself).
public enum BlockingBridge {
    /// The bridge's own thread as a task executor: for long-running work the blocking calls wait on (a
    /// `PostgresClient`'s `run()`, a LISTEN loop), which must not depend on the cooperative pool either.
    public static var executor: any TaskExecutor { BridgeExecutor.shared }

    public static func run<T>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task(executorPreference: BridgeExecutor.shared) {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }
}

final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}

/// A task executor with one thread of its own, running jobs in order.
final class BridgeExecutor: TaskExecutor, @unchecked Sendable {
    static let shared = BridgeExecutor()

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    private init() {
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "gridwork.postgres-bridge"
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        jobs.append(unowned)
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }
}
