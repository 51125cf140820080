import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination.js';
import type { SuggestionStatus } from '../suggestion.entity.js';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);
const STATUSES: SuggestionStatus[] = ['open', 'closed'];

export class CreateSuggestionDto {
  @ApiProperty({ minLength: 3, maxLength: 200, example: 'Open the library on Sundays' })
  @Transform(trim)
  @IsString()
  @MinLength(3)
  @MaxLength(200)
  title: string;

  @ApiPropertyOptional({ maxLength: 5000, default: '' })
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  description?: string;
}

export class UpdateSuggestionDto {
  @ApiProperty({ enum: STATUSES })
  @IsIn(STATUSES)
  status: SuggestionStatus;
}

export class VoteDto {
  @ApiProperty({ enum: [1, -1] })
  @IsIn([1, -1])
  value: 1 | -1;
}

export class ListSuggestionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['score', 'recent'], default: 'recent' })
  @IsOptional()
  @IsIn(['score', 'recent'])
  sort?: 'score' | 'recent';

  @ApiPropertyOptional({ enum: STATUSES })
  @IsOptional()
  @IsIn(STATUSES)
  status?: SuggestionStatus;
}

export class SuggestionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) authorId: string;
  @ApiProperty() title: string;
  @ApiProperty() description: string;
  @ApiProperty({ enum: STATUSES }) status: SuggestionStatus;
  @ApiProperty() upvotes: number;
  @ApiProperty() downvotes: number;
  @ApiProperty({ description: 'upvotes − downvotes' }) score: number;
  @ApiProperty({ description: 'Grows by one per change (votes and status)' }) version: number;
  @ApiPropertyOptional({ enum: [1, -1, 0], description: "The caller's vote; absent in events" }) myVote?: 1 | -1 | 0;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class SuggestionPageDto {
  @ApiProperty({ type: [SuggestionDto] }) items: SuggestionDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class VoteResultDto {
  @ApiProperty({ format: 'uuid' }) suggestionId: string;
  @ApiProperty() upvotes: number;
  @ApiProperty() downvotes: number;
  @ApiProperty() score: number;
  @ApiProperty() version: number;
  @ApiProperty({ enum: [1, -1, 0] }) myVote: 1 | -1 | 0;
}
