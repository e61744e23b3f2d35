import GridworkCLI

await GridworkCommand.main()
