const t0 = performance.now();
const { execute } = await import('@oclif/core');
const t1 = performance.now();
process.on('exit', () => console.error('exit at', performance.now().toFixed(0), 'boot', (t0).toFixed(0), 'oclif import', (t1-t0).toFixed(0), 'execute', (t2-t1).toFixed(0)));
let t2;
await execute({ dir: '/work/main/apps/cli/bin/run.js', args: process.argv.slice(2) });
t2 = performance.now();
