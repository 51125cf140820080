// The three names of @angular/core that hub.service.ts uses, so the example type-checks without installing Angular.
// In an Angular app, delete this file: the real package provides them.
declare module '@angular/core' {
  export function Injectable(options?: { providedIn?: 'root' | 'platform' | 'any' | null }): ClassDecorator;
  export function inject<T>(token: abstract new (...args: never[]) => T): T;
  export interface OnDestroy {
    ngOnDestroy(): void;
  }
}
