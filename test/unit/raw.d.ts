// Vite raw imports: the text of a file (docs checked against the code).
declare module "*.md?raw" {
  const text: string;
  export default text;
}
