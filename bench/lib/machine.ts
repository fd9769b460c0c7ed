import { cpus, type as osType, release, totalmem } from 'node:os';
import { postgresVersion } from './database.js';

export interface MachineDescription {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  postgres: string;
}

export async function describeMachine(postgresUrl: string): Promise<MachineDescription> {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${osType()} ${release()}`,
    node: process.version,
    postgres: await postgresVersion(postgresUrl).catch((error: Error) => `unreachable (${error.message})`),
  };
}
