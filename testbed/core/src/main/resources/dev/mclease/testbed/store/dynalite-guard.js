// Runs the dynalite CLI (argv[2]) so that a client giving up on a request does not kill the emulator.
//
// dynalite 4.0.0 rethrows a request stream's 'error' (index.js: req.on('error', function (err) { throw err })): when
// a client aborts a request while sending it (its own timeout under load, a proxy cutting the link), the process dies
// of an uncaught ECONNRESET "aborted". A real DynamoDB endpoint survives that, and the suites that cut links and run
// into timeouts must not lose their store to it (it did, 1 run in ~9). Any other uncaught error still ends the process.
'use strict'
process.on('uncaughtException', function (err) {
  if (err && (err.code === 'ECONNRESET' || err.message === 'aborted')) {
    console.error('mclease: a client aborted a request (' + err.message + '); dynalite goes on')
    return
  }
  console.error(err)
  process.exit(1)
})
var cli = process.argv[2]
process.argv.splice(2, 1) // the CLI reads its options from argv[2..]
require(cli)
