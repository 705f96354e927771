// In-process cost of one port from get-port (npm, v5, CommonJS): ROUNDS batches of N awaited
// getPort() calls; prints "get-port MEDIAN_NS", the median over rounds of the batch mean.
//   node getport_inproc.js ROUNDS N    (get-port found through NODE_PATH)
'use strict';
const getPort = require('get-port');

(async () => {
	const [rounds, n] = process.argv.slice(2).map(Number);
	const per = [];
	await getPort();
	for (let r = 0; r < rounds; r++) {
		const t0 = process.hrtime.bigint();
		for (let i = 0; i < n; i++)
			await getPort();
		per.push(Number(process.hrtime.bigint() - t0) / n);
	}
	per.sort((a, b) => a - b);
	console.log('get-port ' + Math.round(per[Math.floor((per.length - 1) / 2)]));
})().catch((err) => {
	console.error('getport_inproc.js: ' + err.message);
	process.exit(1);
});
