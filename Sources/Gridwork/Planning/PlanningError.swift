import Foundation

/// A planning job that cannot go on, with what to do about it.
public struct PlanningError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
