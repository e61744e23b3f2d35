internal import CPROJ
import Foundation

/// Remembers, per (source EPSG, target EPSG), the PROJ pipeline string of the normalised operation
/// PROJ chose, so later transformers for the same pair skip the database search.
///
/// `proj_create_crs_to_crs` costs tens of milliseconds (it queries proj.db for candidate operations);
/// `proj_create` on a pipeline string costs microseconds. Only pairs with exactly one candidate
/// operation are cached: with several, PROJ picks one per point by area of use, which a single
/// pipeline string cannot express, so those pairs always go through `proj_create_crs_to_crs`.
final class OperationCache: @unchecked Sendable {
    static let shared = OperationCache()

    enum Entry: Equatable { case pipeline(String), uncacheable }

    private let lock = NSLock()
    private var entries: [Pair: Entry] = [:]  // guarded by lock

    struct Pair: Hashable {
        var source: Int
        var target: Int
    }

    /// What is remembered for a pair (nil before its first transformer), for tests and diagnostics.
    func entry(source: Int, target: Int) -> Entry? {
        lock.withLock { entries[Pair(source: source, target: target)] }
    }

    /// A new normalised (east, north) operation from EPSG:`source` to EPSG:`target`, owned by the caller
    /// (free with `proj_destroy` before destroying `context`), or PROJ's message on failure.
    func makeOperation(context: OpaquePointer, log: PROJMessageLog, source: Int, target: Int) -> Result<OpaquePointer, OperationFailure> {
        let pair = Pair(source: source, target: target)
        let cached = lock.withLock { entries[pair] }
        if case .pipeline(let definition)? = cached {
            if let operation = proj_create(context, definition) {  // returns NULL on failure
                return .success(operation)
            }
            _ = log.take()  // fall through to a full search if the string is rejected
        }

        // proj_create_crs_to_crs returns NULL when no operation is found.
        guard let raw = proj_create_crs_to_crs(context, "EPSG:\(source)", "EPSG:\(target)", nil) else {
            return .failure(OperationFailure(message: projMessage(context: context, errno: proj_context_errno(context), log: log)))
        }
        // proj_normalize_for_visualization returns a new object (NULL on failure); `raw` stays ours to free.
        let normalized = proj_normalize_for_visualization(context, raw)
        proj_destroy(raw)
        guard let normalized else {
            return .failure(OperationFailure(message: projMessage(context: context, errno: proj_context_errno(context), log: log)))
        }
        if cached == nil {
            let entry = cacheEntry(context: context, log: log, operation: normalized, source: source, target: target)
            lock.withLock { entries[pair] = entry }
        }
        return .success(normalized)
    }

    /// `.pipeline` when PROJ lists exactly one candidate operation (`proj_create_operations`, with the
    /// same area and grid rules as `proj_create_crs_to_crs`) and it has a PROJ string (`proj_as_proj_string`).
    private func cacheEntry(context: OpaquePointer, log: PROJMessageLog, operation: OpaquePointer,
                            source: Int, target: Int) -> Entry {
        defer { _ = log.take() }
        guard let sourceCRS = proj_create(context, "EPSG:\(source)") else { return .uncacheable }
        defer { proj_destroy(sourceCRS) }
        guard let targetCRS = proj_create(context, "EPSG:\(target)") else { return .uncacheable }
        defer { proj_destroy(targetCRS) }
        guard let factory = proj_create_operation_factory_context(context, nil) else { return .uncacheable }
        defer { proj_operation_factory_context_destroy(factory) }
        proj_operation_factory_context_set_spatial_criterion(context, factory, PROJ_SPATIAL_CRITERION_PARTIAL_INTERSECTION)
        proj_operation_factory_context_set_grid_availability_use(
            context, factory, PROJ_GRID_AVAILABILITY_DISCARD_OPERATION_IF_MISSING_GRID)
        guard let list = proj_create_operations(context, sourceCRS, targetCRS, factory) else { return .uncacheable }
        defer { proj_list_destroy(list) }
        guard proj_list_get_count(list) == 1 else { return .uncacheable }
        // The string is owned by `operation` and valid until it is destroyed: copy it now.
        guard let text = proj_as_proj_string(context, operation, PJ_PROJ_5, nil) else { return .uncacheable }
        return .pipeline(String(cString: text))
    }
}

struct OperationFailure: Error {
    var message: String
}
