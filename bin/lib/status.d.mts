export declare function statusLines(o: { url: string; token: string }): Promise<string[]>;
