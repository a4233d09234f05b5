// Types for the parts of asterisk-manager@0.2.0 (plain JavaScript, no types of its own) that the
// load benchmark uses (bench/load/ami.ts). Events arrive with lower-case keys.
declare module 'asterisk-manager' {
  type AmiEvent = Record<string, string | string[] | Record<string, string> | undefined>;
  interface Manager {
    options: { port?: number; host: string; username: string; password: string; events: boolean };
    connect(port: number, host: string, callback?: (err: Error | null) => void): void;
    login(callback?: (err?: AmiEvent) => void): void;
    disconnect(callback?: () => void): void;
    isConnected(): boolean;
    on(event: string, listener: (e: AmiEvent) => void): void;
    removeListener(event: string, listener: (e: AmiEvent) => void): void;
  }
  /** Without a port it does not connect: call connect() then login(). */
  const AsteriskManager: new (port?: number, host?: string, username?: string, password?: string, events?: boolean) => Manager;
  export = AsteriskManager;
}
