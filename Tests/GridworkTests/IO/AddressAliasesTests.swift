import Foundation
import Testing
@testable import Gridwork

@Suite struct AddressAliasesTests {
    @Test func readsAliasesAndSkipsBlankRows() throws {
        let scratch = Scratch()
        let file = scratch.write("aliases.csv", "alias,name\n府东居委会,府东社区\n ,\n严州路 , 严州大道\n")
        #expect(try AddressAliases.read(path: file) == ["府东居委会": "府东社区", "严州路": "严州大道"])
    }

    @Test func anEmptyFieldNamesItsLine() throws {
        let scratch = Scratch()
        let file = scratch.write("aliases.csv", "alias,name\n府东居委会,府东社区\n严州路,\n")
        let error = #expect(throws: CSVError.self) { try AddressAliases.read(path: file) }
        #expect(error?.line == 3 && error!.message.contains("'name' is empty"))
    }

    @Test func anAliasForTwoNamesIsRefused() throws {
        let scratch = Scratch()
        let file = scratch.write("aliases.csv", "alias,name\n东山,东山村\n东山,东山社区\n")
        let error = #expect(throws: CSVError.self) { try AddressAliases.read(path: file) }
        #expect(error?.line == 3 && error!.message.contains("line 2"))
    }

    @Test func aMissingColumnIsNamed() throws {
        let scratch = Scratch()
        let file = scratch.write("aliases.csv", "old,new\na,b\n")
        #expect(throws: CSVError.self) { try AddressAliases.read(path: file) }
    }
}
