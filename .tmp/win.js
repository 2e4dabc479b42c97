// 100 pipelines x 100 channels, fed like 20 Modbus devices x 4 reads of 125 registers every 100 ms (simulated time)
const D=process.argv[3]+'/dist/src/';
const { AssetPipeline, SampleRouter, assetConfig } = require(D+'assets');
const { ColumnBatchBuilder } = require(D+'core/batch');
const { silentLogger } = require(D+'observability/logger');
const pipes=[];
for (let a=0;a<100;a++){ const tags={}; for(let i=0;i<100;i++) tags['c'+i]=`m/r${a*100+i}`;
  const p=new AssetPipeline({config:assetConfig.parse({id:'a'+a,tags,window:{type:'time',size:1000,frameMs:100,latenessMs:100}}),logger:silentLogger()}); let w=0; p.on('window',()=>w++); pipes.push(p);}
const router=new SampleRouter(pipes);
const layouts=[]; for(let r=0;r<80;r++){ layouts.push({tags:Array.from({length:125},(_,i)=>`m/r${r*125+i}`)}); }
const builders=layouts.map(l=>new ColumnBatchBuilder(l,125,false));
let t=Date.now(); const base=t;
function cycle(){ for(let r=0;r<80;r++){ const b=builders[r]; b.reset(); for(let i=0;i<125;i++) b.value(i, (i*7+t)%1000, t, t); router.routeColumns(b);} t+=100; }
for(let k=0;k<300;k++) cycle();
const N=+process.argv[2]||2000; const c0=process.cpuUsage(); const h0=process.hrtime.bigint();
for(let k=0;k<N;k++) cycle();
const cpu=process.cpuUsage(c0); const ns=Number(process.hrtime.bigint()-h0);
console.log('ns/sample', (ns/(N*10000)).toFixed(1), 'cpu us/sample', ((cpu.user+cpu.system)/(N*10000)).toFixed(3));
global.gc(); global.gc();
const m = process.memoryUsage();
console.log(process.argv[3], 'heapUsed MB', (m.heapUsed/1e6).toFixed(1), 'arrayBuffers MB', (m.arrayBuffers/1e6).toFixed(1), 'external MB', (m.external/1e6).toFixed(1), 'rss MB', (m.rss/1e6).toFixed(1));
